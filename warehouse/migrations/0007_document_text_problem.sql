-- Text that looked wrongly decoded when it was stored (replacement characters, mojibake):
-- NULL when it looked right. Such a document is not frozen: a later, correctly decoded copy
-- of the same URL replaces its title, summary and text, and it is extracted again.

ALTER TABLE documents ADD COLUMN text_problem VARCHAR;
