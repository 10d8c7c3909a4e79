-- Numbers figures, tables, boxes, equations and sections per chapter (Figure 2.1, Table A.1)
-- and turns @fig:id, @tbl:id, @box:id, @eq:id and @sec:id into links that carry the number
-- and the label in the paper's language. Runs after chapters.lua (which gives each chapter
-- its heading, role and number) and before citeproc, which would take them for citations.
--
-- Python puts a raw block "paper-settings" (JSON: labels, section_numbers, page_references,
-- mode, targets) first. The numbered items and any reference that leads nowhere are handed
-- back to Python in the metadata fields paper-numbered and paper-unresolved.
--
-- Python runs it on some chapters at a time (those it has not kept from an earlier build).
-- Mode "number" numbers them and hands back what each reference can lead to (paper-targets)
-- and where each chapter's counting ended (paper-counters); mode "resolve" turns references
-- into links, given every target of the paper; mode "both", which Python uses for the
-- chapters it numbers, does the two in one run, given the other chapters' targets, and hands
-- back the numbered blocks as well (paper-numbered-blocks), for a later "resolve" of a
-- chapter kept while another's numbers changed.

local NBSP = "\u{00A0}"
local PREFIXES = { fig = "figure", tbl = "table", box = "box", eq = "equation", sec = "section" }
local PLURAL = { figure = "figures", table = "tables", box = "boxes", equation = "equations",
  section = "sections", chapter = "chapters", appendix = "appendices", part = "parts" }

local settings = { labels = {}, section_numbers = true, page_references = "other-chapters" }
local targets = {}     -- id -> { id, kind, number, text, chapter, front }
local found = {}       -- the targets, in the order they were found
local catalogue = {}   -- numbered figures, tables, boxes and equations, in order
local unresolved = {}

local chapter = { id = "", number = "", role = "" }
local counters = {}
local sections = { 0, 0 }

local function label(kind) return settings.labels[kind] or kind end

local function next_number(kind)
  counters[kind] = (counters[kind] or 0) + 1
  if chapter.number == "" then return tostring(counters[kind]) end
  return chapter.number .. "." .. counters[kind]
end

local function target(id, record)
  targets[id] = record
  table.insert(found, record)
end

local function register(id, kind, number, caption)
  target(id, { id = id, kind = kind, number = number, text = label(kind) .. NBSP .. number,
    chapter = chapter.id, front = chapter.role == "front-matter" })
  if kind ~= "section" then
    table.insert(catalogue, { id = id, kind = kind, label = label(kind) .. " " .. number,
      caption = caption, chapter = chapter.id })
  end
end

local function caption_label(kind, number)
  return pandoc.Span({ pandoc.Str(label(kind) .. NBSP .. number) }, pandoc.Attr("", { "caption-label" }))
end

-- "Figure 2.1" goes in front of the caption's first line.
local function with_label(blocks, kind, number)
  local first = blocks[1]
  if first and (first.t == "Plain" or first.t == "Para") then
    first.content:insert(1, pandoc.Space())
    first.content:insert(1, caption_label(kind, number))
  else
    blocks:insert(1, pandoc.Plain({ caption_label(kind, number) }))
  end
  return blocks
end

local function auto_id(kind, number)
  return kind .. "-" .. number:gsub("%.", "-")
end

local ended = {}  -- { chapter, counters } where each chapter's counting ended

local function sorted_counters()
  local kinds = {}
  for kind in pairs(counters) do table.insert(kinds, kind) end
  table.sort(kinds)
  local out = {}
  for _, kind in ipairs(kinds) do table.insert(out, { kind, counters[kind] }) end
  return out
end

local function end_chapter()
  if chapter.id ~= "" then table.insert(ended, { chapter = chapter.id, counters = sorted_counters() }) end
end

local function start_chapter(h)
  end_chapter()
  local role = h.attributes["paper-role"] or ""
  local given = h.attributes["paper-counters"]
  if given then
    counters = {}
    for _, pair in ipairs(pandoc.json.decode(given, false)) do counters[pair[1]] = math.tointeger(pair[2]) end
    h.attributes["paper-counters"] = nil
  elseif not (role == "front-matter" and chapter.role == "front-matter") then
    counters = {}
  end
  chapter = { id = h.identifier, number = h.attributes["paper-number"] or "", role = role }
  sections = { 0, 0 }
  local kinds = { chapter = "chapter", appendix = "appendix", part = "part" }
  local title = pandoc.utils.stringify(h.content:filter(function(el)
    return not (el.t == "Span" and el.classes:includes("heading-number"))
  end))
  title = title:gsub("^%s+", "")
  if kinds[role] and chapter.number ~= "" then
    target(h.identifier, { id = h.identifier, kind = kinds[role], number = chapter.number,
      text = label(kinds[role]) .. NBSP .. chapter.number, chapter = h.identifier, front = false })
  else
    target(h.identifier, { id = h.identifier, kind = "chapter", text = title,
      chapter = h.identifier, front = role == "front-matter" })
  end
end

local function number_section(h)
  local numbered = settings.section_numbers and chapter.number ~= ""
    and (chapter.role == "chapter" or chapter.role == "appendix")
    and not h.classes:includes("unnumbered") and h.level <= 3
  local number
  if numbered then
    if h.level == 2 then
      sections = { sections[1] + 1, 0 }
      number = chapter.number .. "." .. sections[1]
    else
      sections[2] = sections[2] + 1
      number = chapter.number .. "." .. sections[1] .. "." .. sections[2]
    end
    h.content:insert(1, pandoc.Space())
    h.content:insert(1, pandoc.Span({ pandoc.Str(number) }, pandoc.Attr("", { "header-section-number" })))
  end
  if h.identifier ~= "" then
    if number then
      register(h.identifier, "section", number, "")
    else
      target(h.identifier, { id = h.identifier, kind = "section",
        text = pandoc.utils.stringify(h.content), chapter = chapter.id, front = chapter.role == "front-matter" })
    end
  end
  return h
end

local function number_box(div)
  local number = next_number("box")
  local title = pandoc.Inlines({})
  if div.attributes.title then
    local parsed = pandoc.read(div.attributes.title, "markdown").blocks[1]
    title = parsed and parsed.content or title
    div.attributes.title = nil
  elseif div.content[1] and div.content[1].t == "Header" then
    title = div.content[1].content
    div.content:remove(1)
  end
  if div.identifier == "" then div.identifier = auto_id("box", number) end
  register(div.identifier, "box", number, pandoc.utils.stringify(title))
  -- headings inside a box belong to it, not to the chapter's numbered sections
  div.content = div.content:walk({ Header = function(h) h.classes:insert("unnumbered"); return h end })
  local heading = pandoc.Inlines({ caption_label("box", number) })
  if #title > 0 then
    heading:insert(pandoc.Space())
    heading:extend(title)
  end
  div.content:insert(1, pandoc.Div({ pandoc.Plain(heading) }, pandoc.Attr("", { "box-title" })))
  div.attributes.role = "note"
  return div
end

-- A callout (Quarto's .callout-note, or a div whose class paper.yaml or the defaults make an
-- aside): an unnumbered aside with its title from title="…", its first heading, or its kind.
local function style_callout(div)
  local kind = div.attributes["paper-kind"] or "note"
  div.attributes["paper-kind"] = nil
  local title
  if div.attributes.title then
    local parsed = pandoc.read(div.attributes.title, "markdown").blocks[1]
    title = parsed and parsed.content
    div.attributes.title = nil
  elseif div.content[1] and div.content[1].t == "Header" then
    title = div.content[1].content
    div.content:remove(1)
  end
  div.content = div.content:walk({ Header = function(h) h.classes:insert("unnumbered"); return h end })
  if kind ~= "aside" or title then
    title = title or pandoc.Inlines({ pandoc.Str(label(kind)) })
    div.content:insert(1, pandoc.Div({ pandoc.Plain(title) }, pandoc.Attr("", { "callout-title" })))
  end
  div.attributes.role = "note"
  return div
end

-- $$ … $$ {#eq:id} : pandoc reads the label as the text after the formula.
local function number_equations(inlines)
  local i = 1
  while i <= #inlines do
    local math = inlines[i]
    if math.t == "Math" then
      local j = i + 1
      if inlines[j] and inlines[j].t == "Space" then j = j + 1 end
      local word = inlines[j]
      local id = word and word.t == "Str" and word.text:match("^{#(eq:[^}%s]+)}")
      if id then
        local rest = word.text:sub(#id + 4)
        local number = next_number("equation")
        register(id, "equation", number, math.text)
        for _ = i + 1, j do inlines:remove(i + 1) end
        inlines[i] = pandoc.Span({ math, pandoc.Span({ pandoc.Str("(" .. number .. ")") },
          pandoc.Attr("", { "equation-number" })) }, pandoc.Attr(id, { "equation" }))
        if rest ~= "" then inlines:insert(i + 1, pandoc.Str(rest)) end
      end
    end
    i = i + 1
  end
  return inlines
end

-- A figure or table: its number, an id if it has none, and the label before its caption.
local function number_captioned(el, kind)
  local number = next_number(kind)
  if el.identifier == "" then el.identifier = auto_id(kind, number) end
  register(el.identifier, kind, number, pandoc.utils.stringify(el.caption.long))
  el.caption.long = with_label(el.caption.long, kind, number)
  return el
end

local function equations_in(block)
  for _, inline in ipairs(block.content) do
    if inline.t == "Math" then
      block.content = number_equations(block.content)
      return block
    end
  end
end

local numbering = {
  traverse = "topdown",
  Header = function(h)
    if h.level == 1 and h.classes:includes("chapter") then
      start_chapter(h)
      return h
    end
    return number_section(h)
  end,
  Figure = function(fig) return number_captioned(fig, "figure") end,
  Table = function(tbl)
    -- a table without caption or id is layout, not a numbered table
    if #tbl.caption.long > 0 or tbl.identifier ~= "" then return number_captioned(tbl, "table") end
  end,
  Div = function(div)
    if div.classes:includes("box") then return number_box(div) end
    if div.classes:includes("callout") then return style_callout(div) end
  end,
  -- (a filter on every list of inlines would cost seconds on a long paper; labels follow
  -- formulas in paragraphs)
  Para = equations_in,
  Plain = equations_in,
}

local function crossref_kind(id)
  local prefix = id:match("^(%a+):")
  return prefix and PREFIXES[prefix]
end

-- The target of @sec:x is the heading {#sec:x}, or else the chapter whose id is x.
local function find(id)
  local kind = crossref_kind(id)
  local target = targets[id]
  if not target and kind == "section" then target = targets[id:sub(5)] end
  if not target then return nil, "missing" end
  if kind == "section" then
    if target.kind == "figure" or target.kind == "table" or target.kind == "box" or target.kind == "equation" then
      return nil, target.kind
    end
  elseif target.kind ~= kind then
    return nil, target.kind
  end
  return target
end

local function link(target, text, here)
  local classes = { "crossref" }
  local pages = settings.page_references
  -- a chapter, an appendix or a part is found from the contents; its page would be noise
  local whole = target.kind == "chapter" or target.kind == "appendix" or target.kind == "part"
  if not whole and (pages == "all" or (pages == "other-chapters" and target.chapter ~= here)) then
    table.insert(classes, target.front and "crossref-page-roman" or "crossref-page")
  end
  return pandoc.Link({ pandoc.Str(text) }, "#" .. target.id, "", pandoc.Attr("", classes))
end

local function series(links)
  local out = pandoc.Inlines({})
  for i, item in ipairs(links) do
    if i > 1 then
      if i == #links then
        out:extend({ pandoc.Space(), pandoc.Str(settings.labels["and"] or "and"), pandoc.Space() })
      else
        out:extend({ pandoc.Str(","), pandoc.Space() })
      end
    end
    out:insert(item)
  end
  return out
end

-- [@fig:a; @fig:b] -> "Figures 2.1 and 2.2"; -@tbl:x -> "3.2"; [see @box:x] -> "see Box 4.1".
local function reference(cite, here)
  local pieces = {}
  local group = {}
  local function flush()
    if #group == 1 then
      table.insert(pieces, pandoc.Inlines({ link(group[1], group[1].text, here) }))
    elseif #group > 1 then
      local piece = pandoc.Inlines({ pandoc.Str(label(PLURAL[group[1].kind])), pandoc.Space() })
      local links = {}
      for _, target in ipairs(group) do table.insert(links, link(target, target.number, here)) end
      piece:extend(series(links))
      table.insert(pieces, piece)
    end
    group = {}
  end
  for _, citation in ipairs(cite.citations) do
    local target, why = find(citation.id)
    local plain = #citation.prefix == 0 and #citation.suffix == 0 and citation.mode ~= "SuppressAuthor"
    if target and plain and target.number then
      if #group > 0 and group[1].kind ~= target.kind then flush() end
      table.insert(group, target)
    else
      flush()
      local piece = pandoc.Inlines({})
      if not target then
        table.insert(unresolved, { id = citation.id, chapter = here, found = why })
        piece:insert(pandoc.Strong({ pandoc.Str("??" .. citation.id) }))
      else
        if #citation.prefix > 0 then
          piece:extend(citation.prefix)
          piece:insert(pandoc.Space())
        end
        local suppress = citation.mode == "SuppressAuthor" and target.number
        piece:insert(link(target, suppress and target.number or target.text, here))
        piece:extend(citation.suffix)
      end
      table.insert(pieces, piece)
    end
  end
  flush()
  local out = pandoc.Inlines({})
  for i, piece in ipairs(pieces) do
    if i > 1 then out:extend({ pandoc.Str(";"), pandoc.Space() }) end
    out:extend(piece)
  end
  return out
end

local function resolve_references(blocks)
  local here = ""
  local out = pandoc.Blocks({})
  for _, block in ipairs(blocks) do
    if block.t == "Header" and block.level == 1 and block.classes:includes("chapter") then
      here = block.identifier
    end
    out:insert(block:walk({
      Cite = function(cite)
        -- cross-references are taken out; citations of works stay for citeproc
        local refs, works = {}, {}
        for _, citation in ipairs(cite.citations) do
          table.insert(crossref_kind(citation.id) and refs or works, citation)
        end
        if #refs == 0 then return nil end
        local out = reference({ citations = refs }, here)
        if #works > 0 then
          cite.citations = works
          out:extend({ pandoc.Str(";"), pandoc.Space(), cite })
        end
        return out
      end,
    }))
  end
  return out
end

function Pandoc(doc)
  local blocks = pandoc.Blocks({})
  for _, block in ipairs(doc.blocks) do
    if block.t == "RawBlock" and block.format == "paper-settings" then
      settings = pandoc.json.decode(block.text, false)
    else
      blocks:insert(block)
    end
  end
  if settings.mode ~= "resolve" then
    blocks = blocks:walk(numbering)
    end_chapter()
    doc.meta["paper-numbered"] = pandoc.json.encode(catalogue)
    doc.meta["paper-targets"] = pandoc.json.encode(found)
    doc.meta["paper-counters"] = pandoc.json.encode(ended)
    if settings.mode == "both" then doc.meta["paper-numbered-blocks"] = pandoc.MetaBlocks(blocks) end
  end
  if settings.mode ~= "number" then
    for _, record in ipairs(settings.targets or {}) do targets[record.id] = record end
    blocks = resolve_references(blocks)
    doc.meta["paper-unresolved"] = pandoc.json.encode(unresolved)
  end
  doc.blocks = blocks
  return doc
end
