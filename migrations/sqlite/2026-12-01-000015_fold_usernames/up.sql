-- Usernames are unique whatever their case: `ADMIN` beside `admin` would let one pass for
-- the other in ledgers and logs. The server stores usernames in Unicode NFKC and compares
-- them in lower case; this index holds that against races.
CREATE UNIQUE INDEX users_username_folded ON users (lower(username));
