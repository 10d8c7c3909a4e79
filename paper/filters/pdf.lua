-- For the PDF only.
-- A footnote becomes a span at its place in the text, which the print CSS floats to the foot
-- of the page (`float: footnote`); the word before it and its call are kept on one line.
-- A compound's own hyphen (South-South, Inter-American) is no place to break a line in a
-- heading, a citation or a bibliography entry: such words are kept whole.

local function footnote(note)
  local inlines = pandoc.utils.blocks_to_inlines(note.content, { pandoc.Space() })
  return pandoc.Span(inlines, pandoc.Attr("", { "footnote" }))
end

local function is_footnote(inline)
  return inline.t == "Span" and inline.classes:includes("footnote")
end

local BREAKS = { Space = true, SoftBreak = true, LineBreak = true }

-- the footnote's call never starts a line: it goes with the word before it
local function glue_calls(inlines)
  local out = pandoc.Inlines({})
  for _, inline in ipairs(inlines) do
    local before = out[#out]
    if is_footnote(inline) and before and not BREAKS[before.t] and not is_footnote(before) then
      out[#out] = pandoc.Span({ before, inline }, pandoc.Attr("", { "note-call" }))
    else
      out:insert(inline)
    end
  end
  return out
end

local function whole_compounds(element)
  return element:walk({
    Str = function(str)
      local hyphen = str.text:find("-", 2, true)
      if hyphen and hyphen < #str.text then
        return pandoc.Span({ str }, pandoc.Attr("", { "nobreak" }))
      end
    end,
  })
end

function Pandoc(doc)
  doc = doc:walk({ Note = footnote })
  doc = doc:walk({ Inlines = glue_calls })
  return doc:walk({
    Header = whole_compounds,
    Cite = whole_compounds,
    Div = function(div)
      if div.classes:includes("csl-entry") then
        return whole_compounds(div)
      end
    end,
  })
end
