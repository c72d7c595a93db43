"""Every table of the store, as the SQL that creates it. A new table goes here as ``CREATE
TABLE IF NOT EXISTS``, created on a write path only, without bumping ``SCHEMA_VERSION``."""

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    published TEXT,
    byline TEXT,
    paragraphs TEXT NOT NULL,
    path TEXT,
    url TEXT,
    added TEXT NOT NULL,
    mentions TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE TABLE IF NOT EXISTS entities (
    article TEXT NOT NULL,
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL,
    mentions INTEGER NOT NULL,
    PRIMARY KEY (article, type, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entities_key ON entities(key, type);
CREATE TABLE IF NOT EXISTS events (
    article TEXT NOT NULL,
    date TEXT NOT NULL,
    precision TEXT NOT NULL,
    expression TEXT NOT NULL,
    text TEXT NOT NULL,
    paragraph INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_date ON events(date);
CREATE INDEX IF NOT EXISTS events_article ON events(article);
""" + "\n"  # the feed tables follow (also created on the first write of a feed, see ensure_feeds)


# Feeds the user follows (index.subscriptions) and which article each feed item became. A feed is
# fetched again when ``next_due`` has passed (or on an explicit refresh, unless ``hold_until``, set
# from a server's Retry-After, has not); ``gone`` is set by a 410.
FEEDS_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL UNIQUE,
    full_text TEXT NOT NULL DEFAULT 'auto',
    title TEXT,
    etag TEXT,
    last_modified TEXT,
    added TEXT NOT NULL,
    last_attempt TEXT,
    last_success TEXT,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_due TEXT,
    hold_until TEXT,
    gone INTEGER NOT NULL DEFAULT 0,
    last_new INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS feed_items (
    feed INTEGER NOT NULL,
    key TEXT NOT NULL,
    article TEXT NOT NULL,
    digest TEXT NOT NULL,
    seen TEXT NOT NULL,
    PRIMARY KEY (feed, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS feed_items_article ON feed_items(article);
"""
SCHEMA += FEEDS_SCHEMA

# What a user does with the articles (issue 13), and removals the search index has yet to see.
# Added tables: created by writers that need them (``ensure_user_tables``), read as empty when
# absent, so an older library opens unchanged.
USER_SCHEMA = """
CREATE TABLE IF NOT EXISTS article_state (
    id TEXT PRIMARY KEY,
    read_at TEXT,
    starred_at TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS saved_searches (
    name TEXT PRIMARY KEY,
    query TEXT NOT NULL,
    created TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS removed_pending (id TEXT PRIMARY KEY) WITHOUT ROWID;
"""
SCHEMA += USER_SCHEMA


# Articles without a date of their own (a feed item without any): ``published`` holds the day
# they were fetched, and this table says so, with the time. Created by the first writer that
# stores one (store.articles.insert_rows); absent = none.
FETCH_DATED_SCHEMA = ("CREATE TABLE IF NOT EXISTS fetch_dated (id TEXT PRIMARY KEY,"
                      " fetched TEXT NOT NULL) WITHOUT ROWID")


# Library-wide counts of each entity (its mentions, the articles and the sources naming it),
# kept by triggers as entity rows come and go, so "the most named entities" and an entity's
# reach are one indexed read however big the library (and two covering indexes give an
# entity's spellings and aliases without reading its rows). Not in SCHEMA: an older library gets
# them from its next writer (``ensure_tally``: filled from the entity rows, under the writer
# lock); until then readers count from the entity rows as before (``has_tally``).
TALLY_SCHEMA = """
CREATE TABLE IF NOT EXISTS entity_sources (
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    source TEXT NOT NULL,
    articles INTEGER NOT NULL,
    PRIMARY KEY (key, type, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entity_totals (
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    mentions INTEGER NOT NULL,
    articles INTEGER NOT NULL,
    sources INTEGER NOT NULL,
    PRIMARY KEY (key, type)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_totals_rank ON entity_totals(sources DESC, articles DESC,
    mentions DESC);
CREATE INDEX IF NOT EXISTS entities_names ON entities(key, type, name, mentions);
CREATE INDEX IF NOT EXISTS entities_aliased ON entities(key, type, aliases) WHERE aliases != '[]';
CREATE TRIGGER IF NOT EXISTS entity_tally_in AFTER INSERT ON entities BEGIN
    INSERT INTO entity_sources(key, type, source, articles)
        SELECT NEW.key, NEW.type, source, 1 FROM articles WHERE id = NEW.article
        ON CONFLICT(key, type, source) DO UPDATE SET articles = articles + 1;
    INSERT INTO entity_totals(key, type, mentions, articles, sources)
        VALUES (NEW.key, NEW.type, NEW.mentions, 1, 1)
        ON CONFLICT(key, type) DO UPDATE SET mentions = mentions + excluded.mentions,
            articles = articles + 1,
            sources = sources + (SELECT s.articles = 1 FROM entity_sources s
                                 JOIN articles a ON a.id = NEW.article AND s.source = a.source
                                 WHERE s.key = NEW.key AND s.type = NEW.type);
END;
CREATE TRIGGER IF NOT EXISTS entity_tally_out AFTER DELETE ON entities BEGIN
    UPDATE entity_sources SET articles = articles - 1
        WHERE key = OLD.key AND type = OLD.type
          AND source = (SELECT source FROM articles WHERE id = OLD.article);
    UPDATE entity_totals SET mentions = mentions - OLD.mentions, articles = articles - 1,
        sources = sources - (SELECT COUNT(*) FROM entity_sources
                             WHERE key = OLD.key AND type = OLD.type AND articles <= 0)
        WHERE key = OLD.key AND type = OLD.type;
    DELETE FROM entity_sources WHERE key = OLD.key AND type = OLD.type AND articles <= 0;
    DELETE FROM entity_totals WHERE key = OLD.key AND type = OLD.type AND articles <= 0;
END;
CREATE TRIGGER IF NOT EXISTS entity_tally_moved AFTER UPDATE OF article, key, type, mentions
        ON entities BEGIN
    UPDATE entity_sources SET articles = articles - 1
        WHERE key = OLD.key AND type = OLD.type
          AND source = (SELECT source FROM articles WHERE id = OLD.article);
    UPDATE entity_totals SET mentions = mentions - OLD.mentions, articles = articles - 1,
        sources = sources - (SELECT COUNT(*) FROM entity_sources
                             WHERE key = OLD.key AND type = OLD.type AND articles <= 0)
        WHERE key = OLD.key AND type = OLD.type;
    DELETE FROM entity_sources WHERE key = OLD.key AND type = OLD.type AND articles <= 0;
    DELETE FROM entity_totals WHERE key = OLD.key AND type = OLD.type AND articles <= 0;
    INSERT INTO entity_sources(key, type, source, articles)
        SELECT NEW.key, NEW.type, source, 1 FROM articles WHERE id = NEW.article
        ON CONFLICT(key, type, source) DO UPDATE SET articles = articles + 1;
    INSERT INTO entity_totals(key, type, mentions, articles, sources)
        VALUES (NEW.key, NEW.type, NEW.mentions, 1, 1)
        ON CONFLICT(key, type) DO UPDATE SET mentions = mentions + excluded.mentions,
            articles = articles + 1,
            sources = sources + (SELECT s.articles = 1 FROM entity_sources s
                                 JOIN articles a ON a.id = NEW.article AND s.source = a.source
                                 WHERE s.key = NEW.key AND s.type = NEW.type);
END;
CREATE TRIGGER IF NOT EXISTS article_entities_gone BEFORE DELETE ON articles BEGIN
    DELETE FROM entities WHERE article = OLD.id;
END;
CREATE TRIGGER IF NOT EXISTS article_source_moved AFTER UPDATE OF source ON articles
        WHEN OLD.source IS NOT NEW.source BEGIN
    UPDATE entity_sources SET articles = articles - 1
        WHERE source = OLD.source
          AND (key, type) IN (SELECT key, type FROM entities WHERE article = NEW.id);
    INSERT INTO entity_sources(key, type, source, articles)
        SELECT key, type, NEW.source, 1 FROM entities WHERE article = NEW.id
        ON CONFLICT(key, type, source) DO UPDATE SET articles = articles + 1;
    DELETE FROM entity_sources WHERE articles <= 0
        AND (key, type) IN (SELECT key, type FROM entities WHERE article = NEW.id);
    UPDATE entity_totals SET sources = (SELECT COUNT(*) FROM entity_sources s
                                        WHERE s.key = entity_totals.key
                                          AND s.type = entity_totals.type)
        WHERE (key, type) IN (SELECT key, type FROM entities WHERE article = NEW.id);
END
"""


FILL_TALLY = (
    "INSERT INTO entity_sources(key, type, source, articles)"
    " SELECT e.key, e.type, a.source, COUNT(*) FROM entities e JOIN articles a"
    " ON a.id = e.article GROUP BY e.key, e.type, a.source",
    "INSERT INTO entity_totals(key, type, mentions, articles, sources)"
    " SELECT e.key, e.type, SUM(e.mentions), COUNT(*), 0 FROM entities e GROUP BY e.key, e.type",
    "UPDATE entity_totals SET sources = (SELECT COUNT(*) FROM entity_sources s"
    " WHERE s.key = entity_totals.key AND s.type = entity_totals.type)",
)

# Story grouping (index.stories, its SQL in store.stories): passage prints, links, pairs,
# document frequencies and stories. Made by store.stories.create_schema, layout versioned in
# pi_meta (a new layout drops the tables, and the stories are derived again).
STORY_SCHEMA = """
CREATE TABLE IF NOT EXISTS pi_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pi_source (sid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS pi_article (
    aid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    sid INTEGER NOT NULL,
    day INTEGER,
    story INTEGER NOT NULL,
    sizes TEXT NOT NULL,
    ekeys TEXT NOT NULL,
    terms BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS pi_article_story ON pi_article(story);
CREATE TABLE IF NOT EXISTS pi_story (
    story INTEGER PRIMARY KEY, n INTEGER NOT NULL, terms BLOB NOT NULL, ents TEXT NOT NULL,
    ew BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS pi_shingle (
    h INTEGER NOT NULL, sid INTEGER NOT NULL, aid INTEGER NOT NULL, pos INTEGER NOT NULL,
    PRIMARY KEY (h, sid, aid, pos)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pi_link (
    aid INTEGER NOT NULL, para INTEGER NOT NULL, oaid INTEGER NOT NULL, opara INTEGER NOT NULL,
    sim REAL NOT NULL, kind TEXT NOT NULL,
    PRIMARY KEY (aid, para, oaid, opara)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pi_pair (
    aid INTEGER NOT NULL, oaid INTEGER NOT NULL, score REAL NOT NULL, esim REAL NOT NULL,
    npass INTEGER NOT NULL, PRIMARY KEY (aid, oaid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pi_edf (
    key TEXT NOT NULL, e INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (key, e)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pi_tdf (
    t INTEGER NOT NULL, e INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (t, e)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pi_entity (
    key TEXT NOT NULL, day INTEGER NOT NULL, aid INTEGER NOT NULL, sid INTEGER NOT NULL,
    PRIMARY KEY (key, day, aid)
) WITHOUT ROWID;
"""

STORY_TABLES = ("pi_meta", "pi_source", "pi_article", "pi_story", "pi_shingle", "pi_link",
                "pi_pair", "pi_edf", "pi_tdf", "pi_entity")
