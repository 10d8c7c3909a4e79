-- Gives the assembled paper its chapter structure.
-- Python puts a raw block of format "paper-chapter" (JSON: id, title, source, role, number,
-- label, classes) before each chapter and each part (a chapter's own raw blocks of that format
-- were removed when it was read). Here each chapter gets one level-1 heading (its first
-- heading, which Python made from the front matter's title if it has one; a part's or the
-- references' title is given in the marker), and its other headings are shifted to level 2
-- and below.

local function min_header_level(blocks)
  local level = 7
  blocks:walk({ Header = function(h) level = math.min(level, h.level) end })
  return level
end

local function title_inlines(text)
  local doc = pandoc.read(text, "markdown")
  if #doc.blocks > 0 and doc.blocks[1].content then
    return doc.blocks[1].content
  end
  return pandoc.Inlines(text)
end

local function build_chapter(info, blocks)
  local title
  local body = pandoc.Blocks({})
  if (info.title or "") ~= "" then
    title = title_inlines(info.title)
    body = blocks
  else
    for _, block in ipairs(blocks) do
      if not title and block.t == "Header" then
        title = block.content
      else
        body:insert(block)
      end
    end
  end
  local classes = { "chapter" }
  for _, class in ipairs(info.classes or {}) do table.insert(classes, class) end
  title = title or pandoc.Inlines({})
  local running = pandoc.utils.stringify(title)  -- for the PDF's running head
  if (info.lang or "") ~= "" then
    title = pandoc.Inlines({ pandoc.Span(title, pandoc.Attr("", {}, { { "lang", info.lang } })) })
  end
  if (info.label or "") ~= "" then
    -- "Chapter 2", "Appendix A", "Part I": part of the heading, so every format shows it.
    title:insert(1, pandoc.Space())
    title:insert(1, pandoc.Span({ pandoc.Str(info.label) }, pandoc.Attr("", { "heading-number" })))
  end
  local attributes = { { "source", info.source }, { "paper-role", info.role or "" }, { "running-title", running },
    { "paper-number", info.number or "" } }
  if info.counters then
    -- where crossref.lua's numbering starts (a front-matter chapter goes on from the one before)
    table.insert(attributes, { "paper-counters", pandoc.json.encode(info.counters) })
  end
  local heading = pandoc.Header(1, title, pandoc.Attr(info.id, classes, attributes))
  local shift = math.max(0, 2 - min_header_level(body))
  body = body:walk({
    Header = function(h)
      h.level = math.min(h.level + shift, 6)
      return h
    end,
  })
  local out = pandoc.Blocks({ heading })
  if (info.lang or "") ~= "" then
    -- a chapter not yet translated: said so, and its text marked with its own language
    -- (for hyphenation and screen readers)
    out:insert(pandoc.Div({ pandoc.Para({ pandoc.Str(info.notice) }) },
      pandoc.Attr("", { "translation-notice" }, { { "role", "note" } })))
    body = pandoc.Blocks({ pandoc.Div(body, pandoc.Attr("", { "untranslated" }, { { "lang", info.lang } })) })
  end
  out:extend(body)
  return out
end

-- A section whose automatic id equals a chapter's id (a "## Conclusions" section and a
-- chapter file conclusions.md) would make links and page references ambiguous: the
-- section's id gets a suffix instead. The paper's chapter ids come in the settings, since
-- only some chapters may be given.
function rename_clashing_ids(blocks, ids)
  local chapter_ids = {}
  for _, ident in ipairs(ids) do chapter_ids[ident] = true end
  for _, block in ipairs(blocks) do
    if block.t == "Header" and block.classes:includes("chapter") then
      chapter_ids[block.identifier] = true
    end
  end
  local function rename(el)
    if chapter_ids[el.identifier] and not el.classes:includes("chapter") then
      el.identifier = el.identifier .. "-section"
      return el
    end
  end
  return blocks:walk({ Header = rename, Div = rename, Span = rename })
end

function Pandoc(doc)
  local out = pandoc.Blocks({})
  local info, blocks = nil, pandoc.Blocks({})
  local function flush()
    if not info then return end
    out:extend(build_chapter(info, blocks))
  end
  local ids = {}
  for _, block in ipairs(doc.blocks) do
    if block.t == "RawBlock" and block.format == "paper-settings" then
      ids = pandoc.json.decode(block.text, false).chapter_ids or {}
      out:insert(block)
    elseif block.t == "RawBlock" and block.format == "paper-chapter" then
      flush()
      info, blocks = pandoc.json.decode(block.text, false), pandoc.Blocks({})
    elseif info then
      blocks:insert(block)
    else
      out:insert(block)
    end
  end
  flush()
  doc.blocks = rename_clashing_ids(out, ids)
  return doc
end
