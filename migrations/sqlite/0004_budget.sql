-- +goose Up
-- Participatory budgeting (method budget, budget.md): a ballot's budget,
-- currency and rule; each option (project) a cost and a description; a
-- proposal may ask for a cost (0: none given). Amounts are whole units of
-- the ballot's currency.
ALTER TABLE ballots ADD COLUMN budget INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ballots ADD COLUMN currency TEXT NOT NULL DEFAULT '';
ALTER TABLE ballots ADD COLUMN budget_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE ballots ADD COLUMN completion TEXT NOT NULL DEFAULT '';
ALTER TABLE ballots ADD COLUMN exhaustive_stop BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE ballots ADD COLUMN compare_with_greedy BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE ballot_options ADD COLUMN cost INTEGER NOT NULL DEFAULT 0 CHECK (cost >= 0);
ALTER TABLE ballot_options ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN cost INTEGER NOT NULL DEFAULT 0 CHECK (cost >= 0);

-- +goose Down
ALTER TABLE proposals DROP COLUMN cost;
ALTER TABLE ballot_options DROP COLUMN description;
ALTER TABLE ballot_options DROP COLUMN cost;
ALTER TABLE ballots DROP COLUMN compare_with_greedy;
ALTER TABLE ballots DROP COLUMN exhaustive_stop;
ALTER TABLE ballots DROP COLUMN completion;
ALTER TABLE ballots DROP COLUMN budget_rule;
ALTER TABLE ballots DROP COLUMN currency;
ALTER TABLE ballots DROP COLUMN budget;
