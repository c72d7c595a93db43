"""The durable article store: SQLite from the standard library, and the one home of the
engine's SQL (tests/test_boundaries.py checks that no other module runs a statement).

The store is the library's source of truth. It holds the cleaned articles and everything derived
from them that the UI lists without re-reading an article (entities, dated events, passage links,
stories, the user's marks and feeds). The Whoosh index is rebuilt from it at any time
(``reader reindex``).

One module per table family, each a set of named functions over a connection:

- ``schema``: every table's ``CREATE`` statement
- ``core``: opening the file, transactions, the meta table, what a failure means
- ``articles``: articles, entities, events, the entity counts, pending removals
- ``stories``: passage prints, links, pairs, document frequencies and stories (the ``pi_*``
  tables) for ``index.stories``
- ``feeds``: followed feeds and their items, for ``index.subscriptions``
- ``user``: read and starred marks, saved searches, for ``index.user``

Callers write ``from index import store`` and ``store.NAME``: the names below are the
package's face (``store.stories``, ``store.feeds`` and ``store.user`` are also used as
modules).
"""

from __future__ import annotations

from index.store import feeds, stories, user  # noqa: F401  (used as modules: store.stories...)
from index.store.articles import (
    ArticleRow,
    ArticleRows,
    article_sources,
    articles_naming,
    articles_page,
    clear_removals,
    count_after,
    count_articles,
    count_events,
    delete_articles,
    ensure_tally,
    entities_keyed,
    entity_alias_lists,
    entity_counts_of,
    entity_entries,
    entity_keys_of,
    entity_mention_rows,
    entity_name_rows,
    entity_names_of,
    entity_own_of,
    entity_pairs_of,
    entity_reach_rows,
    entity_spellings,
    entity_tally_rows,
    event_rows,
    ever_seq,
    existing_ids,
    fetch_dated,
    get_article,
    get_mentions,
    has_article,
    has_entities,
    has_tally,
    ids_with_prefix,
    insert_rows,
    iter_articles,
    iter_event_rows,
    list_rows,
    pending_removals,
    replace_enrichment,
    rows_by_id,
    rows_of,
    source_counts,
    summary,
    tallied_alike,
    tallied_count,
    tallied_reach,
    top_seq,
    top_tallied,
)
from index.store.core import (
    NotFound,
    StoreError,
    StoreFull,
    StoreUnwritable,
    connect,
    delete_meta,
    diagnose,
    failure_kind,
    get_meta,
    has_table,
    is_full,
    is_readonly,
    set_meta,
    statements,
    transaction,
)
from index.store.feeds import (
    ensure_feeds,
    has_feeds,
)
from index.store.schema import (
    SCHEMA_VERSION,
    TALLY_SCHEMA,
    USER_SCHEMA,
)
from index.store.user import (
    delete_search,
    ensure_user_tables,
    marks_of,
    read_ids,
    save_search,
    saved_searches,
    set_marks,
    starred_ids,
)

__all__ = [
    "ArticleRow",
    "ArticleRows",
    "NotFound",
    "SCHEMA_VERSION",
    "StoreError",
    "StoreFull",
    "StoreUnwritable",
    "TALLY_SCHEMA",
    "USER_SCHEMA",
    "article_sources",
    "articles_naming",
    "articles_page",
    "clear_removals",
    "connect",
    "count_after",
    "count_articles",
    "count_events",
    "delete_articles",
    "delete_meta",
    "delete_search",
    "diagnose",
    "ensure_feeds",
    "ensure_tally",
    "ensure_user_tables",
    "entities_keyed",
    "entity_alias_lists",
    "entity_counts_of",
    "entity_entries",
    "entity_keys_of",
    "entity_mention_rows",
    "entity_name_rows",
    "entity_names_of",
    "entity_own_of",
    "entity_pairs_of",
    "entity_reach_rows",
    "entity_spellings",
    "entity_tally_rows",
    "event_rows",
    "ever_seq",
    "existing_ids",
    "fetch_dated",
    "failure_kind",
    "get_article",
    "get_mentions",
    "get_meta",
    "has_article",
    "has_entities",
    "has_feeds",
    "has_table",
    "has_tally",
    "ids_with_prefix",
    "insert_rows",
    "is_full",
    "is_readonly",
    "iter_articles",
    "iter_event_rows",
    "list_rows",
    "marks_of",
    "pending_removals",
    "read_ids",
    "replace_enrichment",
    "rows_by_id",
    "rows_of",
    "save_search",
    "saved_searches",
    "set_marks",
    "set_meta",
    "source_counts",
    "starred_ids",
    "statements",
    "summary",
    "tallied_alike",
    "tallied_count",
    "tallied_reach",
    "top_seq",
    "top_tallied",
    "transaction",
]
