-- The lexical index's words of each listing's text, kept so that fitting the index again reads stored
-- words instead of analysing every text with SudachiPy (about 0.6 ms a text: minutes at 100,000
-- listings, and every app process fits the index when it starts). Only the texts that changed since are
-- analysed again (matching/lexical.py words_hash: the analyser's version and the text).
create table listing_words (
    resource_id text primary key references resource (id) on delete cascade,
    text_hash   text not null,
    features    text not null  -- the index's features of the text, separated by chr(31)
);
