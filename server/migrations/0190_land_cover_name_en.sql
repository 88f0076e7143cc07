-- Water and green areas get an English name beside the Chinese one, so the basemap's labels
-- follow the page's language like every other label. Rows loaded before this have none; the
-- English map shows their Chinese name until the city is loaded again.
ALTER TABLE land_cover ADD COLUMN name_en text;
