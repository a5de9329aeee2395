/**
 * Migration 1: the workspace schema of DESIGN.md.
 * run → nanowell → frame → classification / restoration → decision (append-only),
 * plus export records, processing attempts (retries) and the error log.
 */
export const up = `
CREATE TABLE run (
  id            INTEGER PRIMARY KEY,
  root          TEXT    NOT NULL UNIQUE,          -- absolute acquisition root (read-only to us)
  layout        TEXT    NOT NULL,                 -- timing | micromanager | pattern | stack
  pattern       TEXT,                             -- user pattern, when layout = pattern
  settings      TEXT    NOT NULL DEFAULT '{}',    -- JSON: usability rules, pixel size, ...
  ignored_files INTEGER NOT NULL DEFAULT 0,       -- files seen that match no frame of the layout
  created_at    TEXT    NOT NULL
) STRICT;

CREATE TABLE nanowell (
  id       INTEGER PRIMARY KEY,
  run_id   INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
  block    TEXT    NOT NULL,
  well     TEXT    NOT NULL,
  position INTEGER NOT NULL,                      -- display order within the run
  UNIQUE (run_id, block, well)
) STRICT;

CREATE TABLE frame (
  id          INTEGER PRIMARY KEY,
  nanowell_id INTEGER NOT NULL REFERENCES nanowell(id) ON DELETE CASCADE,
  t           INTEGER NOT NULL,                   -- time point, 1-based as in TIMING
  channel     TEXT    NOT NULL DEFAULT '0',
  path        TEXT    NOT NULL,                   -- relative to run.root
  page        INTEGER NOT NULL DEFAULT 0,         -- page of a multi-page stack
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  bits        INTEGER NOT NULL CHECK (bits IN (8, 16, 32)),
  size        INTEGER NOT NULL,                   -- file size in bytes when ingested
  mtime_ms    REAL    NOT NULL,
  -- Pipeline state, kept in step with classification/restoration rows:
  state       TEXT    NOT NULL DEFAULT 'pending'
              CHECK (state IN ('pending', 'in_focus', 'oof', 'restored', 'failed')),
  ingested_at TEXT    NOT NULL,
  UNIQUE (nanowell_id, t, channel),
  UNIQUE (path, page, nanowell_id)
) STRICT;
CREATE INDEX frame_state ON frame (state);
CREATE INDEX frame_nanowell_t ON frame (nanowell_id, t);

CREATE TABLE classification (
  id            INTEGER PRIMARY KEY,
  frame_id      INTEGER NOT NULL REFERENCES frame(id) ON DELETE CASCADE,
  target        TEXT    NOT NULL CHECK (target IN ('original', 'restored')),
  model_id      TEXT    NOT NULL,
  model_sha256  TEXT    NOT NULL,
  p_oof         REAL    NOT NULL CHECK (p_oof BETWEEN 0 AND 1),
  oof           INTEGER NOT NULL CHECK (oof IN (0, 1)),
  tenenbaum     REAL,
  vollath_f4    REAL,
  vollath_f5    REAL,
  norm_variance REAL,
  laplacian_var REAL,
  created_at    TEXT    NOT NULL,
  UNIQUE (frame_id, target)
) STRICT;

CREATE TABLE restoration (
  id              INTEGER PRIMARY KEY,
  frame_id        INTEGER NOT NULL UNIQUE REFERENCES frame(id) ON DELETE CASCADE,
  model_id        TEXT    NOT NULL,
  model_sha256    TEXT    NOT NULL,
  sampler         TEXT    NOT NULL,               -- ddim | ancestral | ddim-warm | unet
  steps           INTEGER NOT NULL,
  eta             REAL    NOT NULL DEFAULT 0,
  ensemble        INTEGER NOT NULL,
  seeds           TEXT    NOT NULL,               -- JSON array of integers
  mean_path       TEXT    NOT NULL,               -- relative to the workspace
  spread_path     TEXT    NOT NULL,
  members_path    TEXT,                           -- multi-page TIFF of the ensemble members
  spread_mean     REAL    NOT NULL,               -- mean per-pixel std of the ensemble
  tenenbaum_before REAL,
  tenenbaum_after  REAL,
  duration_ms     REAL    NOT NULL,
  created_at      TEXT    NOT NULL
) STRICT;

-- One row per attempt at a unit of work; retries are counted from here, so a
-- crash of the worker or of the station never loses or repeats finished work.
CREATE TABLE attempt (
  id          INTEGER PRIMARY KEY,
  frame_id    INTEGER NOT NULL REFERENCES frame(id) ON DELETE CASCADE,
  kind        TEXT    NOT NULL CHECK (kind IN ('classify', 'restore', 'reclassify')),
  started_at  TEXT    NOT NULL,
  finished_at TEXT,
  outcome     TEXT    CHECK (outcome IN ('ok', 'error', 'crash')),
  error       TEXT
) STRICT;
CREATE INDEX attempt_frame ON attempt (frame_id, kind);

-- Append-only audit of review decisions; the latest row per frame is in force.
CREATE TABLE decision (
  id       INTEGER PRIMARY KEY,
  frame_id INTEGER NOT NULL REFERENCES frame(id),
  verdict  TEXT    NOT NULL CHECK (verdict IN ('accept', 'reject', 'clear')),
  reviewer TEXT    NOT NULL CHECK (length(reviewer) > 0),
  note     TEXT    NOT NULL DEFAULT '',
  rule     TEXT,                                  -- bulk rule that produced it, if any (JSON)
  at       TEXT    NOT NULL
) STRICT;
CREATE INDEX decision_frame ON decision (frame_id, id);
CREATE TRIGGER decision_no_update BEFORE UPDATE ON decision
  BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER decision_no_delete BEFORE DELETE ON decision
  BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;

CREATE TABLE export (
  id              INTEGER PRIMARY KEY,
  run_id          INTEGER REFERENCES run(id),
  destination     TEXT    NOT NULL,
  policy          TEXT    NOT NULL,               -- JSON
  status          TEXT    NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  frames_exported INTEGER NOT NULL DEFAULT 0,
  frames_excluded INTEGER NOT NULL DEFAULT 0,
  manifest_sha256 TEXT,
  error           TEXT,
  started_at      TEXT    NOT NULL,
  finished_at     TEXT
) STRICT;

CREATE TABLE error_log (
  id       INTEGER PRIMARY KEY,
  run_id   INTEGER REFERENCES run(id) ON DELETE CASCADE,
  frame_id INTEGER REFERENCES frame(id) ON DELETE SET NULL,
  source   TEXT    NOT NULL,                      -- ingest | watcher | classify | restore | model | export | ipc
  path     TEXT,                                  -- file concerned, relative to run.root when inside it
  message  TEXT    NOT NULL,
  at       TEXT    NOT NULL
) STRICT;
CREATE INDEX error_log_run ON error_log (run_id, id);
CREATE UNIQUE INDEX error_log_path_once ON error_log (run_id, source, path) WHERE path IS NOT NULL;
`;
