-- Reads a chapter's front matter texts (title, authors, session, abstract, contributors) as
-- Markdown, in the same sandboxed pandoc run that reads the chapter. Python puts them first,
-- as a raw block of format "paper-fields" (JSON: name -> text or list of texts); they come
-- back as metadata fields named paper-<name>.

local function blocks(text)
  return pandoc.MetaBlocks(pandoc.read(text, "markdown-yaml_metadata_block").blocks)
end

function Pandoc(doc)
  local first = doc.blocks[1]
  if not (first and first.t == "RawBlock" and first.format == "paper-fields") then return doc end
  doc.blocks:remove(1)
  for name, value in pairs(pandoc.json.decode(first.text, false)) do
    if type(value) == "table" then
      local items = pandoc.List({})
      for _, text in ipairs(value) do items:insert(blocks(text)) end
      doc.meta["paper-" .. name] = pandoc.MetaList(items)
    else
      doc.meta["paper-" .. name] = blocks(value)
    end
  end
  return doc
end
