"""The DuckDB schema as an ordered list of migrations.

The migrations a file lacks are applied once, in order, all inside one transaction, and the
version they bring the file to is written to `meta`. A new column or table is a new migration
appended here; released migrations are never edited, so every existing file can be brought
forward.

The schema states the store's keys (migration 4): a row that would repeat one is refused by
DuckDB, whoever writes it. A rule over several tables that readers share is a view here:
`judgment_staleness` says which judgments are stale.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the data model of DESIGN.md.
    """
    CREATE TABLE datasets (
        dataset      VARCHAR PRIMARY KEY,
        grades       INTEGER[] NOT NULL,
        grade_names  VARCHAR[] NOT NULL,
        source       VARCHAR,
        created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    CREATE TABLE queries (
        dataset      VARCHAR NOT NULL,
        query_id     VARCHAR NOT NULL,
        query        VARCHAR NOT NULL,
        query_class  VARCHAR,
        PRIMARY KEY (dataset, query_id)
    );
    CREATE TABLE documents (
        dataset      VARCHAR NOT NULL,
        doc_id       VARCHAR NOT NULL,
        title        VARCHAR,
        doc_class    VARCHAR,
        category     VARCHAR,
        description  VARCHAR,
        fields       JSON,
        updated_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (dataset, doc_id)
    );
    CREATE SEQUENCE pair_id_seq START 1;
    CREATE TABLE pairs (
        pair_id      BIGINT PRIMARY KEY DEFAULT nextval('pair_id_seq'),
        dataset      VARCHAR NOT NULL,
        query_id     VARCHAR NOT NULL,
        doc_id       VARCHAR NOT NULL,
        split        VARCHAR CHECK (split IN ('train', 'validation', 'benchmark'))
    );
    -- One pair per (dataset, query_id, doc_id) is checked by the importer, the only writer
    -- of pairs, inside its transaction (storage/_import_batch.py, _check_unique): a
    -- UNIQUE index here cost about 0.25 s of a 1.3 s WANDS-sized import, and no query
    -- looks pairs up by those columns.
    CREATE SEQUENCE event_id_seq START 1;
    CREATE TABLE label_events (
        event_id     BIGINT PRIMARY KEY DEFAULT nextval('event_id_seq'),
        pair_id      BIGINT NOT NULL,
        grade        INTEGER,
        source       VARCHAR NOT NULL CHECK (source IN ('import', 'review', 'revert')),
        author       VARCHAR,
        note         VARCHAR,
        unsure       BOOLEAN NOT NULL DEFAULT false,
        created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
        reverts      BIGINT
    );
    -- No index on label_events (pair_id): on a WANDS-sized store (233k events) it made a
    -- lookup of one pair's events 0.5 ms instead of 0.6 ms, against ~0.04 s per import.
    -- A cache of what label_events says, rewritten for the touched pairs in the same
    -- transaction as every event, so screens over a million judgments need no aggregation.
    CREATE TABLE current_labels (
        pair_id         BIGINT PRIMARY KEY,
        grade           INTEGER,
        original_grade  INTEGER,
        source          VARCHAR,
        event_id        BIGINT,
        unsure          BOOLEAN NOT NULL,
        note            VARCHAR,
        changed_at      TIMESTAMP
    );
    CREATE SEQUENCE run_id_seq START 1;
    CREATE TABLE judge_runs (
        run_id           BIGINT PRIMARY KEY DEFAULT nextval('run_id_seq'),
        name             VARCHAR NOT NULL,
        dataset          VARCHAR NOT NULL,
        split            VARCHAR,
        backend          VARCHAR NOT NULL,
        model            VARCHAR NOT NULL,
        model_sha256     VARCHAR,
        prompt_template  VARCHAR NOT NULL,
        prompt_sha256    VARCHAR NOT NULL,
        scale            INTEGER[] NOT NULL,
        params           JSON,
        status           VARCHAR NOT NULL DEFAULT 'running',
        started_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
        finished_at      TIMESTAMP
    );
    CREATE TABLE judgments (
        run_id             BIGINT NOT NULL,
        pair_id            BIGINT NOT NULL,
        grade              INTEGER,
        probs              FLOAT[],
        expected_grade     DOUBLE,
        confidence         DOUBLE,
        raw_output         VARCHAR,
        parse_status       VARCHAR NOT NULL,
        error              VARCHAR,
        latency_ms         DOUBLE,
        prompt_tokens      INTEGER,
        completion_tokens  INTEGER,
        created_at         TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (run_id, pair_id)
    );
    """,
    # 2: no primary key on documents, pairs, label_events or current_labels. On a WANDS-sized
    # import (233k labels) each of those indexes cost 0.03-0.05 s of inserts plus its merge at
    # COMMIT, together 0.2 s of 0.55 s of writing. pair_id and event_id come from sequences;
    # one document per (dataset, doc_id) and one row per pair in current_labels are checked by
    # their only writers (storage/_import_batch.py, storage/_labels.py) in the same
    # transaction. Lookups by id stay fast without an index: ids grow with insertion order, so
    # DuckDB's per-row-group min/max skips all but one row group.
    """
    CREATE TABLE documents_v2 (
        dataset      VARCHAR NOT NULL,
        doc_id       VARCHAR NOT NULL,
        title        VARCHAR,
        doc_class    VARCHAR,
        category     VARCHAR,
        description  VARCHAR,
        fields       JSON,
        updated_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    INSERT INTO documents_v2 SELECT * FROM documents;
    DROP TABLE documents;
    ALTER TABLE documents_v2 RENAME TO documents;

    CREATE TABLE pairs_v2 (
        pair_id      BIGINT NOT NULL DEFAULT nextval('pair_id_seq'),
        dataset      VARCHAR NOT NULL,
        query_id     VARCHAR NOT NULL,
        doc_id       VARCHAR NOT NULL,
        split        VARCHAR CHECK (split IN ('train', 'validation', 'benchmark'))
    );
    INSERT INTO pairs_v2 SELECT * FROM pairs ORDER BY pair_id;
    DROP TABLE pairs;
    ALTER TABLE pairs_v2 RENAME TO pairs;

    CREATE TABLE label_events_v2 (
        event_id     BIGINT NOT NULL DEFAULT nextval('event_id_seq'),
        pair_id      BIGINT NOT NULL,
        grade        INTEGER,
        source       VARCHAR NOT NULL CHECK (source IN ('import', 'review', 'revert')),
        author       VARCHAR,
        note         VARCHAR,
        unsure       BOOLEAN NOT NULL DEFAULT false,
        created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
        reverts      BIGINT
    );
    INSERT INTO label_events_v2 SELECT * FROM label_events ORDER BY event_id;
    DROP TABLE label_events;
    ALTER TABLE label_events_v2 RENAME TO label_events;

    CREATE TABLE current_labels_v2 (
        pair_id         BIGINT NOT NULL,
        grade           INTEGER,
        original_grade  INTEGER,
        source          VARCHAR,
        event_id        BIGINT,
        unsure          BOOLEAN NOT NULL,
        note            VARCHAR,
        changed_at      TIMESTAMP
    );
    INSERT INTO current_labels_v2 SELECT * FROM current_labels ORDER BY pair_id;
    DROP TABLE current_labels;
    ALTER TABLE current_labels_v2 RENAME TO current_labels;
    """,
    # 3: when a run was last set back to running (a resume), so the Runs page measures a
    # resumed run's silence from the resume, not from judgments made before it.
    """
    ALTER TABLE judge_runs ADD COLUMN resumed_at TIMESTAMP;
    """,
    # 4: the keys back, which migration 2 dropped to speed up large imports: one row per key
    # is the store's rule, not each writer's, so the application-side checks and their lock
    # go (bench/import_scale.py measures what the keys cost an import). A file holding a
    # repeated key (written around the workbench) stays at version 3, and `cli.py check`,
    # which reads it as it is, names the rows. And the one rule of staleness, as a view.
    """
    CREATE TABLE documents_v4 (
        dataset      VARCHAR NOT NULL,
        doc_id       VARCHAR NOT NULL,
        title        VARCHAR,
        doc_class    VARCHAR,
        category     VARCHAR,
        description  VARCHAR,
        fields       JSON,
        updated_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (dataset, doc_id)
    );
    INSERT INTO documents_v4 SELECT * FROM documents;
    DROP TABLE documents;
    ALTER TABLE documents_v4 RENAME TO documents;

    CREATE TABLE pairs_v4 (
        pair_id      BIGINT PRIMARY KEY DEFAULT nextval('pair_id_seq'),
        dataset      VARCHAR NOT NULL,
        query_id     VARCHAR NOT NULL,
        doc_id       VARCHAR NOT NULL,
        split        VARCHAR CHECK (split IN ('train', 'validation', 'benchmark')),
        UNIQUE (dataset, query_id, doc_id)
    );
    INSERT INTO pairs_v4 SELECT * FROM pairs ORDER BY pair_id;
    DROP TABLE pairs;
    ALTER TABLE pairs_v4 RENAME TO pairs;

    CREATE TABLE label_events_v4 (
        event_id     BIGINT PRIMARY KEY DEFAULT nextval('event_id_seq'),
        pair_id      BIGINT NOT NULL,
        grade        INTEGER,
        source       VARCHAR NOT NULL CHECK (source IN ('import', 'review', 'revert')),
        author       VARCHAR,
        note         VARCHAR,
        unsure       BOOLEAN NOT NULL DEFAULT false,
        created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
        reverts      BIGINT
    );
    INSERT INTO label_events_v4 SELECT * FROM label_events ORDER BY event_id;
    DROP TABLE label_events;
    ALTER TABLE label_events_v4 RENAME TO label_events;

    CREATE TABLE current_labels_v4 (
        pair_id         BIGINT PRIMARY KEY,
        grade           INTEGER,
        original_grade  INTEGER,
        source          VARCHAR,
        event_id        BIGINT,
        unsure          BOOLEAN NOT NULL,
        note            VARCHAR,
        changed_at      TIMESTAMP
    );
    INSERT INTO current_labels_v4 SELECT * FROM current_labels ORDER BY pair_id;
    DROP TABLE current_labels;
    ALTER TABLE current_labels_v4 RENAME TO current_labels;

    -- A judgment is stale when its pair's current label or its document changed after the
    -- judgment was made. Only changes after the first judgment can make one stale, and those
    -- are few (reviews, a re-import that edited some text), so they are gathered first and
    -- each judgment is looked up among them, instead of joining every judgment with its label
    -- and its document.
    CREATE VIEW judgment_staleness AS
    WITH since AS (
        SELECT min(created_at) AS first_judged FROM judgments
    ), edited AS (
        SELECT dataset, doc_id, updated_at FROM documents
        WHERE updated_at > (SELECT first_judged FROM since)
    ), changed AS (
        SELECT pair_id, max(changed_at) AS changed_at FROM (
            SELECT pair_id, changed_at FROM current_labels
            WHERE changed_at > (SELECT first_judged FROM since)
            UNION ALL
            SELECT p.pair_id, e.updated_at
            FROM (SELECT pair_id, dataset, doc_id FROM pairs
                  WHERE (dataset, doc_id) IN (SELECT dataset, doc_id FROM edited)) p
            JOIN edited e USING (dataset, doc_id)
        ) GROUP BY pair_id
    )
    SELECT j.run_id, j.pair_id, coalesce(c.changed_at > j.created_at, false) AS stale
    FROM judgments j LEFT JOIN changed c USING (pair_id);
    """,
    # 5: ranking runs (a search system's ranked documents per query, imported to be scored
    # under qrels made from the labels or a judge), the pairs that pooling their top k added,
    # and label events written by a judge: a relabel batch applies a judge run's grades where
    # its confidence reaches a threshold, as `judge` events that name their batch, so the
    # batch is undone as one (`revert` events for each). `label_events` is rebuilt because
    # DuckDB cannot change a CHECK constraint in place.
    """
    CREATE SEQUENCE ranking_id_seq START 1;
    CREATE TABLE rankings (
        ranking_id   BIGINT PRIMARY KEY DEFAULT nextval('ranking_id_seq'),
        dataset      VARCHAR NOT NULL,
        name         VARCHAR NOT NULL,
        source       VARCHAR,
        created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
        UNIQUE (dataset, name)
    );
    CREATE TABLE ranked_documents (
        ranking_id   BIGINT NOT NULL,
        query_id     VARCHAR NOT NULL,
        doc_id       VARCHAR NOT NULL,
        rank         INTEGER NOT NULL,
        score        DOUBLE NOT NULL,
        PRIMARY KEY (ranking_id, query_id, doc_id)
    );
    CREATE TABLE pooled_pairs (
        pair_id      BIGINT PRIMARY KEY,
        dataset      VARCHAR NOT NULL,
        ranking      VARCHAR NOT NULL,
        depth        INTEGER NOT NULL,
        created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    CREATE SEQUENCE relabel_batch_id_seq START 1;
    CREATE TABLE relabel_batches (
        batch_id        BIGINT PRIMARY KEY DEFAULT nextval('relabel_batch_id_seq'),
        dataset         VARCHAR NOT NULL,
        run_id          BIGINT NOT NULL,
        min_confidence  DOUBLE NOT NULL,
        author          VARCHAR,
        created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
    );

    CREATE TABLE label_events_v5 (
        event_id     BIGINT PRIMARY KEY DEFAULT nextval('event_id_seq'),
        pair_id      BIGINT NOT NULL,
        grade        INTEGER,
        source       VARCHAR NOT NULL CHECK (source IN ('import', 'review', 'revert', 'judge')),
        author       VARCHAR,
        note         VARCHAR,
        unsure       BOOLEAN NOT NULL DEFAULT false,
        created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
        reverts      BIGINT,
        batch_id     BIGINT
    );
    INSERT INTO label_events_v5
        SELECT *, NULL FROM label_events ORDER BY event_id;
    DROP TABLE label_events;
    ALTER TABLE label_events_v5 RENAME TO label_events;
    """,
    # 6: pairwise judging: runs that compare two products of a query (in their own table, so the
    # pages and metrics of graded runs never meet one; the ids come from the same sequence,
    # so a run id names one run of either kind), each comparison's verdict per order (first
    # shown as A), and reviewers' preferences between two products as an append-only log
    # with undo, like label events. A preference is about the two products, not about a run:
    # `pair_a` is the smaller pair id.
    """
    CREATE TABLE pairwise_runs (
        run_id           BIGINT PRIMARY KEY DEFAULT nextval('run_id_seq'),
        name             VARCHAR NOT NULL,
        dataset          VARCHAR NOT NULL,
        split            VARCHAR,
        backend          VARCHAR NOT NULL,
        model            VARCHAR NOT NULL,
        model_sha256     VARCHAR,
        prompt_template  VARCHAR NOT NULL,
        prompt_sha256    VARCHAR NOT NULL,
        params           JSON,
        status           VARCHAR NOT NULL DEFAULT 'running',
        started_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
        finished_at      TIMESTAMP
    );
    CREATE TABLE pairwise_judgments (
        run_id             BIGINT NOT NULL,
        first_pair_id      BIGINT NOT NULL,
        second_pair_id     BIGINT NOT NULL,
        winner             VARCHAR CHECK (winner IN ('first', 'second', 'tie')),
        p_first            DOUBLE,
        p_second           DOUBLE,
        p_tie              DOUBLE,
        raw_output         VARCHAR,
        parse_status       VARCHAR NOT NULL,
        error              VARCHAR,
        latency_ms         DOUBLE,
        prompt_tokens      INTEGER,
        completion_tokens  INTEGER,
        created_at         TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (run_id, first_pair_id, second_pair_id)
    );
    CREATE SEQUENCE preference_event_id_seq START 1;
    CREATE TABLE preference_events (
        event_id    BIGINT PRIMARY KEY DEFAULT nextval('preference_event_id_seq'),
        pair_a      BIGINT NOT NULL,
        pair_b      BIGINT NOT NULL,
        preference  VARCHAR CHECK (preference IN ('a', 'b', 'tie')),
        source      VARCHAR NOT NULL CHECK (source IN ('review', 'revert')),
        author      VARCHAR,
        note        VARCHAR,
        created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
        reverts     BIGINT,
        CHECK (pair_a < pair_b)
    );
    """,
    # 7: team review. Reviewers allowed on a dataset (none listed: anyone), review tasks
    # (a set of pairs drawn by a strategy and assigned to reviewers, some to two of them for
    # double labelling), their items, and each dataset's guideline, versioned (a save is a
    # new version, never an overwrite). Label events name the task they were made in and the
    # guideline version the reviewer had, and take the source `adjudication` (the final grade
    # of a pair two reviewers disagreed on): `label_events` is rebuilt as in migration 5,
    # every row kept in order. What a reviewer's independent label is, one rule for every
    # reader, is the view `independent_labels`: their first grade on the item in the task
    # (an undo does not erase it: in a blind task it was given before anything was shown).
    """
    CREATE TABLE reviewers (
        dataset     VARCHAR NOT NULL,
        name        VARCHAR NOT NULL,
        added_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (dataset, name)
    );
    CREATE SEQUENCE task_id_seq START 1;
    CREATE TABLE review_tasks (
        task_id     BIGINT PRIMARY KEY DEFAULT nextval('task_id_seq'),
        dataset     VARCHAR NOT NULL,
        name        VARCHAR NOT NULL,
        pair_set    VARCHAR NOT NULL,
        strategy    VARCHAR NOT NULL,
        run_id      BIGINT,
        overlap     DOUBLE NOT NULL CHECK (overlap >= 0 AND overlap <= 1),
        blind       BOOLEAN NOT NULL,
        seed        BIGINT NOT NULL,
        created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
        UNIQUE (dataset, name)
    );
    CREATE TABLE task_items (
        task_id     BIGINT NOT NULL,
        pair_id     BIGINT NOT NULL,
        reviewer    VARCHAR NOT NULL,
        position    INTEGER NOT NULL,
        PRIMARY KEY (task_id, pair_id, reviewer)
    );
    CREATE TABLE guidelines (
        dataset     VARCHAR NOT NULL,
        version     INTEGER NOT NULL,
        text        VARCHAR NOT NULL,
        author      VARCHAR,
        created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (dataset, version)
    );

    CREATE TABLE label_events_v7 (
        event_id           BIGINT PRIMARY KEY DEFAULT nextval('event_id_seq'),
        pair_id            BIGINT NOT NULL,
        grade              INTEGER,
        source             VARCHAR NOT NULL
            CHECK (source IN ('import', 'review', 'revert', 'judge', 'adjudication')),
        author             VARCHAR,
        note               VARCHAR,
        unsure             BOOLEAN NOT NULL DEFAULT false,
        created_at         TIMESTAMP NOT NULL DEFAULT current_timestamp,
        reverts            BIGINT,
        batch_id           BIGINT,
        task_id            BIGINT,
        guideline_version  INTEGER
    );
    INSERT INTO label_events_v7
        SELECT *, NULL, NULL FROM label_events ORDER BY event_id;
    DROP TABLE label_events;
    ALTER TABLE label_events_v7 RENAME TO label_events;

    CREATE VIEW independent_labels AS
    SELECT e.task_id, e.pair_id, e.author AS reviewer,
           arg_min(e.grade, e.event_id) AS grade, min(e.event_id) AS event_id,
           arg_min(e.created_at, e.event_id) AS created_at
    FROM label_events e
    JOIN task_items i
      ON i.task_id = e.task_id AND i.pair_id = e.pair_id AND i.reviewer = e.author
    WHERE e.source = 'review' AND e.grade IS NOT NULL
    GROUP BY e.task_id, e.pair_id, e.author;
    """,
    # 8: score rubrics, one versioned row per edit of a dataset's rubric (criterion and one
    # description per score 1-5; the judge's default rubric when a dataset has none), and
    # per judgment the text a model wrote before its answer line (Prometheus' feedback) and
    # the pair shown as its reference product.
    """
    CREATE TABLE rubrics (
        dataset       VARCHAR NOT NULL,
        version       INTEGER NOT NULL,
        criterion     VARCHAR NOT NULL,
        descriptions  VARCHAR[] NOT NULL,
        author        VARCHAR,
        created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (dataset, version)
    );
    ALTER TABLE judgments ADD COLUMN feedback VARCHAR;
    ALTER TABLE judgments ADD COLUMN reference_pair_id BIGINT;
    """,
    # 9: pairwise runs record when they were last resumed too, so the Runs page counts a
    # resumed pairwise run's silence from its resume, as it does a graded run's.
    """
    ALTER TABLE pairwise_runs ADD COLUMN resumed_at TIMESTAMP;
    """,
    # 10: what a dataset owns is declared once (storage/_owned.py); before, delete and rename
    # forgot the team tables. A delete left a dataset's allowed reviewers, guideline and
    # tasks behind (back again when a dataset of that name was imported: the old reviewer
    # list then locked the new team out), a rename left them under the old name. Told apart
    # by pair ids, which are never reused: a task none of whose pairs exists was deleted with
    # its dataset and goes; a task of a missing dataset whose pairs all lie in one dataset
    # was left by a rename and moves there, with that name's reviewers and guideline when
    # the new name has none of its own. Reviewers and guideline versions of a missing
    # dataset, or older than their dataset (an earlier dataset of the same name), go. What
    # was moved or removed is kept in `repairs`, which `check` prints.
    """
    CREATE TABLE repairs (
        version      INTEGER NOT NULL,
        table_name   VARCHAR NOT NULL,
        dataset      VARCHAR NOT NULL,
        rows         BIGINT NOT NULL,
        moved_to     VARCHAR,
        reason       VARCHAR NOT NULL,
        repaired_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
    );

    CREATE TEMP TABLE _renamed AS
        SELECT t.dataset AS old, min(p.dataset) AS new
        FROM review_tasks t JOIN task_items i USING (task_id) JOIN pairs p USING (pair_id)
        WHERE t.dataset NOT IN (SELECT dataset FROM datasets)
        GROUP BY t.dataset HAVING count(DISTINCT p.dataset) = 1;
    CREATE TEMP TABLE _moves AS
        SELECT 'review_tasks' AS table_name, r.old, r.new, t.task_id AS id, NULL AS name
        FROM review_tasks t JOIN _renamed r ON r.old = t.dataset
        WHERE NOT EXISTS (SELECT 1 FROM review_tasks o WHERE o.dataset = r.new AND o.name = t.name)
        UNION ALL
        SELECT 'reviewers', r.old, r.new, NULL, v.name
        FROM reviewers v JOIN _renamed r ON r.old = v.dataset
        WHERE NOT EXISTS (SELECT 1 FROM reviewers o WHERE o.dataset = r.new)
        UNION ALL
        SELECT 'guidelines', r.old, r.new, g.version, NULL
        FROM guidelines g JOIN _renamed r ON r.old = g.dataset
        WHERE NOT EXISTS (SELECT 1 FROM guidelines o WHERE o.dataset = r.new);
    INSERT INTO repairs (version, table_name, dataset, rows, moved_to, reason)
        SELECT 10, table_name, old, count(*), new,
               'left under the old name by a rename'
        FROM _moves GROUP BY ALL;
    UPDATE review_tasks t SET dataset = m.new FROM _moves m
        WHERE m.table_name = 'review_tasks' AND t.task_id = m.id;
    UPDATE reviewers v SET dataset = m.new FROM _moves m
        WHERE m.table_name = 'reviewers' AND v.dataset = m.old AND v.name = m.name;
    UPDATE guidelines g SET dataset = m.new FROM _moves m
        WHERE m.table_name = 'guidelines' AND g.dataset = m.old AND g.version = m.id;

    CREATE TEMP TABLE _gone_tasks AS
        SELECT task_id, dataset FROM review_tasks t WHERE NOT EXISTS (
            SELECT 1 FROM task_items i JOIN pairs p USING (pair_id) WHERE i.task_id = t.task_id
        );
    CREATE TEMP TABLE _gone AS
        SELECT 'task_items' AS table_name, g.dataset, count(*) AS rows,
               'their pairs were deleted with their dataset' AS reason
        FROM task_items i JOIN _gone_tasks g USING (task_id) GROUP BY ALL
        UNION ALL
        SELECT 'review_tasks', dataset, count(*), 'their pairs were deleted with their dataset'
        FROM _gone_tasks GROUP BY ALL
        UNION ALL
        SELECT 'reviewers', v.dataset, count(*), CASE WHEN d.dataset IS NULL
            THEN 'left by a delete or rename of the dataset'
            ELSE 'left by a delete of an earlier dataset of that name' END
        FROM reviewers v LEFT JOIN datasets d USING (dataset)
        WHERE d.dataset IS NULL OR v.added_at < d.created_at GROUP BY ALL
        UNION ALL
        SELECT 'guidelines', g.dataset, count(*), CASE WHEN d.dataset IS NULL
            THEN 'left by a delete or rename of the dataset'
            ELSE 'left by a delete of an earlier dataset of that name' END
        FROM guidelines g LEFT JOIN datasets d USING (dataset)
        WHERE d.dataset IS NULL OR g.created_at < d.created_at GROUP BY ALL;
    INSERT INTO repairs (version, table_name, dataset, rows, moved_to, reason)
        SELECT 10, table_name, dataset, rows, NULL, reason FROM _gone;
    DELETE FROM task_items WHERE task_id IN (SELECT task_id FROM _gone_tasks);
    DELETE FROM review_tasks WHERE task_id IN (SELECT task_id FROM _gone_tasks);
    DELETE FROM reviewers v WHERE NOT EXISTS (
        SELECT 1 FROM datasets d WHERE d.dataset = v.dataset AND v.added_at >= d.created_at
    );
    DELETE FROM guidelines g WHERE NOT EXISTS (
        SELECT 1 FROM datasets d WHERE d.dataset = g.dataset AND g.created_at >= d.created_at
    );
    DROP TABLE _renamed;
    DROP TABLE _moves;
    DROP TABLE _gone_tasks;
    DROP TABLE _gone;
    """,
    # 11: team rules in the store. `team_roles` holds each dataset's owner (the first who
    # set its allowed reviewers or adjudicators: only they change them from then on) and its
    # adjudicators; a task records who created it. A judgment is stale when its document
    # changed after it, or when the pair's grade now differs from the grade in force when
    # it was made: an undo back to that grade, or a confirmation of it, leaves it fresh.
    # Pairs whose label events came after the first judgment are few, so the grade in force
    # at a judgment's time is only looked up for them.
    """
    CREATE TABLE team_roles (
        dataset   VARCHAR NOT NULL,
        name      VARCHAR NOT NULL,
        role      VARCHAR NOT NULL CHECK (role IN ('owner', 'adjudicator')),
        added_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (dataset, role, name)
    );
    ALTER TABLE review_tasks ADD COLUMN created_by VARCHAR;

    DROP VIEW judgment_staleness;
    CREATE VIEW judgment_staleness AS
    WITH since AS (
        SELECT min(created_at) AS first_judged FROM judgments
    ), edited AS (
        SELECT dataset, doc_id, updated_at FROM documents
        WHERE updated_at > (SELECT first_judged FROM since)
    ), text_changed AS (
        SELECT p.pair_id, max(e.updated_at) AS changed_at
        FROM (SELECT pair_id, dataset, doc_id FROM pairs
              WHERE (dataset, doc_id) IN (SELECT dataset, doc_id FROM edited)) p
        JOIN edited e USING (dataset, doc_id) GROUP BY p.pair_id
    ), relabelled AS (
        SELECT pair_id, grade, changed_at FROM current_labels
        WHERE changed_at > (SELECT first_judged FROM since)
    ), events AS (
        SELECT e.pair_id, e.event_id, e.grade, e.source, e.reverts, e.created_at
        FROM label_events e WHERE e.pair_id IN (SELECT pair_id FROM relabelled)
    ), seen AS (
        SELECT j.run_id, j.pair_id, (
            SELECT arg_max(e.grade, e.event_id) FROM events e
            WHERE e.pair_id = j.pair_id AND e.created_at <= j.created_at
              AND e.grade IS NOT NULL AND e.source <> 'revert'
              AND e.event_id NOT IN (
                  SELECT r.reverts FROM events r
                  WHERE r.pair_id = j.pair_id AND r.source = 'revert'
                    AND r.created_at <= j.created_at)
        ) AS grade
        FROM judgments j JOIN relabelled l USING (pair_id)
        WHERE j.created_at < l.changed_at
    )
    SELECT j.run_id, j.pair_id,
           coalesce(t.changed_at > j.created_at, false)
           OR (s.run_id IS NOT NULL AND s.grade IS DISTINCT FROM l.grade) AS stale
    FROM judgments j
    LEFT JOIN text_changed t USING (pair_id)
    LEFT JOIN relabelled l USING (pair_id)
    LEFT JOIN seen s ON s.run_id = j.run_id AND s.pair_id = j.pair_id;
    """,
    # 12: what the imports of a dataset kept as extra document fields, and which of them give
    # the label away (field -> reason, or null), so a blind card never shows those
    # (storage/_blind.py). On the dataset's own row, so delete and rename carry it.
    """
    ALTER TABLE datasets ADD COLUMN document_fields JSON;
    """,
    # 13: which endpoint of a fleet answered each judgment (its URL without credentials or
    # query string; NULL in process and before this migration), so per-endpoint counts and
    # throughput are read from the store.
    """
    ALTER TABLE judgments ADD COLUMN endpoint VARCHAR;
    ALTER TABLE pairwise_judgments ADD COLUMN endpoint VARCHAR;
    """,
    # 14: batch jobs handed to the OpenAI Batch API for a run, so that a later process picks
    # a job up by its id (storage/_batches.py). The dataset is kept on the row, as a run of
    # either kind (graded or pairwise) may own it; the run is named by id.
    """
    CREATE TABLE run_batches (
        dataset         VARCHAR NOT NULL,
        run_id          BIGINT NOT NULL,
        remote_batch    VARCHAR PRIMARY KEY,
        base_url        VARCHAR NOT NULL,
        status          VARCHAR NOT NULL,
        input_file_id   VARCHAR NOT NULL,
        output_file_id  VARCHAR,
        error_file_id   VARCHAR,
        created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
        updated_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    """,
    # 15: audit tasks. An audit is
    # a review task that draws queries (not pairs) with recorded inclusion probabilities, so
    # a prediction-powered estimate can weight each audited query by its design (jobs/
    # _estimate.py). `audit_draws` holds the design, its seed, the judge run it read and when
    # it was drawn (an estimate refuses a judge run made after); `audit_queries` holds every
    # query of the population at draw time with its probability and whether it was drawn.
    """
    CREATE TABLE audit_draws (
        task_id     BIGINT PRIMARY KEY,
        design      VARCHAR NOT NULL CHECK (design IN ('uniform', 'active')),
        seed        BIGINT NOT NULL,
        run_id      BIGINT,
        size        INTEGER NOT NULL,
        drawn_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    CREATE TABLE audit_queries (
        task_id                 BIGINT NOT NULL,
        query_id                VARCHAR NOT NULL,
        inclusion_probability   DOUBLE,
        drawn                   BOOLEAN NOT NULL,
        PRIMARY KEY (task_id, query_id)
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
