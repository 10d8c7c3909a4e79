-- With `reference-list: per-chapter`, citeproc runs on each chapter on its own and its
-- references follow it; ids are prefixed with the chapter's id so that they stay unique.
-- Runs after crossref.lua, so that @fig:… and the like are links, not citations, by then.

local function cite_chapter(blocks, meta)
  local id = blocks[1].identifier
  local chapter = pandoc.Pandoc(blocks, meta)
  chapter.blocks:insert(pandoc.Header(2, pandoc.utils.stringify(meta["paper-references-title"]),
    pandoc.Attr("references-" .. id, { "unnumbered", "references-title" })))
  chapter.blocks:insert(pandoc.Div({}, pandoc.Attr("refs")))
  chapter = pandoc.utils.citeproc(chapter)
  local last = chapter.blocks[#chapter.blocks]
  if #last.content == 0 then
    chapter.blocks:remove(#chapter.blocks)
    chapter.blocks:remove(#chapter.blocks)
  end
  local function prefixed(ident)
    if ident == "refs" then return "refs-" .. id end
    if ident:sub(1, 4) == "ref-" then return "ref-" .. id .. "-" .. ident:sub(5) end
    return ident
  end
  return chapter.blocks:walk({
    Div = function(div) div.identifier = prefixed(div.identifier); return div end,
    Link = function(link)
      if link.target:sub(1, 1) == "#" then link.target = "#" .. prefixed(link.target:sub(2)) end
      return link
    end,
  })
end


function Pandoc(doc)
  local out = pandoc.Blocks({})
  local chapter = nil
  local function flush()
    if chapter then out:extend(cite_chapter(chapter, doc.meta)) end
  end
  for _, block in ipairs(doc.blocks) do
    if block.t == "Header" and block.level == 1 and block.classes:includes("chapter") then
      flush()
      chapter = pandoc.Blocks({ block })
    elseif chapter then
      chapter:insert(block)
    else
      out:insert(block)
    end
  end
  flush()
  doc.blocks = out
  return doc
end
