-- 0007: merges are followed from their target too (flattening a chain, marking a merged row's sources):
-- without this index every merge scanned the whole table, and the learner's thousands of merges into
-- one learned template took quadratic time.
CREATE INDEX merges_by_target ON merges(target_id);
