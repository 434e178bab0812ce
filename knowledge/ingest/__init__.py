"""Import: uploaded pages (department text, HTML, Markdown) parsed into articles (``parsing``), tokenized
for storage, in worker processes when there are many (``preparing``), and written to the store
idempotently, atomically per file, in batches (``importer``)."""
