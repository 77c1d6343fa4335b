-- A person's preferences: the colour theme (applied at every login, in any
-- browser) and the time zone times are shown in (NULL: the browser's).
ALTER TABLE users ADD COLUMN theme TEXT NOT NULL DEFAULT 'system';
ALTER TABLE users ADD COLUMN time_zone TEXT;
