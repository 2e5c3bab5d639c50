-- The lexical index's words of each listing's text, kept so that fitting the index again reads stored
-- words instead of analysing every text with SudachiPy (about 0.6 ms a text: minutes at 100,000
-- listings, and every app process fits the index when it starts). Only the texts that changed since are
-- analysed again (matching/lexical.py words_hash: the analyser's version and the text).
create table listing_words (
    resource_id text primary key references resource (id) on delete cascade,
    text_hash   text not null,
    features    text not null  -- the index's features of the text, separated by chr(31)
);

-- The same for the needs profiles' texts, which the weekly batch reads for every open profile. Their
-- words are as personal as the text they come from: they are forgotten as soon as the text changes
-- (not kept until the next run replaces them) and go with the profile.
create table profile_words (
    profile_id text primary key references needs_profile (id) on delete cascade,
    text_hash  text not null,
    features   text not null
);

create function forget_profile_words() returns trigger language plpgsql as $$
begin
    delete from profile_words where profile_id = new.id;
    return new;
end
$$;

create trigger profile_words_forget
    after update of interests, narrative on needs_profile
    for each row
    when (old.interests is distinct from new.interests or old.narrative is distinct from new.narrative)
    execute function forget_profile_words();
