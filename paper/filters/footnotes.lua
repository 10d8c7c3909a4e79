-- For the PDF: a footnote becomes a span at its place in the text, which the print CSS
-- floats to the foot of the page (`float: footnote`).
function Note(note)
  local inlines = pandoc.utils.blocks_to_inlines(note.content, { pandoc.Space() })
  return pandoc.Span(inlines, pandoc.Attr("", { "footnote" }))
end
