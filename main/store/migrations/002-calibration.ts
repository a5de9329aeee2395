/**
 * Migration 2: real microscopes. Operator focus labels and calibrations
 * (append-only audit, like decisions), the focus judgement in force per frame
 * (derived: model, calibration or the nanowell's temporal rule), and the
 * domain guard per run that holds automatic restoration.
 */
export const up = `
-- Ground truth from an operator ("in focus" / "out of focus"); the latest row per frame is in force, 'clear' withdraws.
CREATE TABLE focus_label (
  id       INTEGER PRIMARY KEY,
  frame_id INTEGER NOT NULL REFERENCES frame(id),
  label    TEXT    NOT NULL CHECK (label IN ('in_focus', 'oof', 'clear')),
  who      TEXT    NOT NULL CHECK (length(who) > 0),
  source   TEXT    NOT NULL DEFAULT 'app',       -- app | csv file name
  at       TEXT    NOT NULL
) STRICT;
CREATE INDEX focus_label_frame ON focus_label (frame_id, id);
CREATE TRIGGER focus_label_no_update BEFORE UPDATE ON focus_label
  BEGIN SELECT RAISE(ABORT, 'focus labels are append-only'); END;
CREATE TRIGGER focus_label_no_delete BEFORE DELETE ON focus_label
  BEGIN SELECT RAISE(ABORT, 'focus labels are append-only'); END;

-- Calibrations of the focus decision to this microscope; the latest row is in force.
CREATE TABLE calibration (
  id                   INTEGER PRIMARY KEY,
  who                  TEXT    NOT NULL CHECK (length(who) > 0),
  source               TEXT    NOT NULL,          -- app labels | labels CSV | microscope profile file
  classifier_id        TEXT    NOT NULL,
  classifier_sha256    TEXT    NOT NULL,          -- the classifier whose p(OOF) the fit reads
  n_in_focus           INTEGER NOT NULL,
  n_oof                INTEGER NOT NULL,
  cv_accuracy          REAL,                      -- cross-validated accuracy of the fit on its labels
  cv_balanced_accuracy REAL,
  fit                  TEXT    NOT NULL,          -- JSON: features, standardisation, weights, bias
  labels               TEXT    NOT NULL,          -- JSON: [{path, page, label}] used for the fit
  at                   TEXT    NOT NULL
) STRICT;
CREATE TRIGGER calibration_no_update BEFORE UPDATE ON calibration
  BEGIN SELECT RAISE(ABORT, 'calibrations are append-only'); END;
CREATE TRIGGER calibration_no_delete BEFORE DELETE ON calibration
  BEGIN SELECT RAISE(ABORT, 'calibrations are append-only'); END;

-- The focus judgement in force per classified frame (rewritten when a calibration or a well's history changes).
CREATE TABLE judgement (
  frame_id           INTEGER PRIMARY KEY REFERENCES frame(id) ON DELETE CASCADE,
  oof                INTEGER NOT NULL CHECK (oof IN (0, 1)),
  basis              TEXT    NOT NULL CHECK (basis IN ('model', 'calibration', 'temporal')),
  p_used             REAL    NOT NULL CHECK (p_used BETWEEN 0 AND 1), -- calibrated p(OOF), else the model's
  relative_sharpness REAL,                                            -- vs the well's recent in-focus frames
  calibration_id     INTEGER REFERENCES calibration(id),
  at                 TEXT    NOT NULL
) STRICT;

-- Domain guard per run: 'pending' until enough frames are judged, then 'clear' or 'tripped';
-- an operator (calibration or "restore anyway") moves 'tripped' to 'released'.
CREATE TABLE guard_state (
  run_id      INTEGER PRIMARY KEY REFERENCES run(id) ON DELETE CASCADE,
  state       TEXT    NOT NULL CHECK (state IN ('pending', 'clear', 'tripped', 'released')),
  judged      INTEGER NOT NULL DEFAULT 0,        -- frames the decision rests on
  oof         INTEGER NOT NULL DEFAULT 0,
  reason      TEXT,
  updated_at  TEXT    NOT NULL
) STRICT;
-- Append-only audit of guard trips and releases (who released it, how).
CREATE TABLE guard_event (
  id      INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL REFERENCES run(id),
  kind    TEXT    NOT NULL CHECK (kind IN ('trip', 'release')),
  reason  TEXT    NOT NULL,
  who     TEXT,
  at      TEXT    NOT NULL
) STRICT;
CREATE TRIGGER guard_event_no_update BEFORE UPDATE ON guard_event
  BEGIN SELECT RAISE(ABORT, 'guard events are append-only'); END;
CREATE TRIGGER guard_event_no_delete BEFORE DELETE ON guard_event
  BEGIN SELECT RAISE(ABORT, 'guard events are append-only'); END;
-- Runs whose automatic restoration is held by the guard.
CREATE VIEW restore_held_run AS SELECT run_id FROM guard_state WHERE state IN ('pending', 'tripped');
`;
