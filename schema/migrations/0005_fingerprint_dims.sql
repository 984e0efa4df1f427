-- 0005: services, hosts and the value sketches of a fingerprint as ONE row, rewritten once per commit
-- (schema/fingerprint_dims.hpp has the blob format). The per-row tables cost one upsert per service,
-- host and value on every commit; this costs two statements per touched fingerprint.
CREATE TABLE fingerprint_dims (
  fingerprint_id TEXT PRIMARY KEY,
  data           BLOB NOT NULL
);

CREATE TABLE fingerprint_services (   -- which fingerprints a service has (the listing's service filter);
  service        TEXT NOT NULL,         -- written only when a fingerprint is first seen in a service
  fingerprint_id TEXT NOT NULL,
  PRIMARY KEY (service, fingerprint_id)
) WITHOUT ROWID;

INSERT INTO fingerprint_services(service, fingerprint_id)
  SELECT name, fingerprint_id FROM fingerprint_names WHERE kind = 'service' AND name <> '(other)';

-- Existing rows move over in the JSON form the decoder also reads; the next commit of each
-- fingerprint rewrites its row in the binary form.
INSERT INTO fingerprint_dims(fingerprint_id, data)
  SELECT f.id, json_object(
    's', json(coalesce((SELECT json_group_array(json_array(n.name, n.count)) FROM fingerprint_names n
                        WHERE n.fingerprint_id = f.id AND n.kind = 'service'), '[]')),
    'h', json(coalesce((SELECT json_group_array(json_array(n.name, n.count)) FROM fingerprint_names n
                        WHERE n.fingerprint_id = f.id AND n.kind = 'host'), '[]')),
    'v', json(coalesce((SELECT json_group_array(json_array(v.position, v.value, v.count)) FROM fingerprint_values v
                        WHERE v.fingerprint_id = f.id), '[]')),
    'x', json(coalesce((SELECT json_group_array(json_array(x.position, hex(x.registers))) FROM fingerprint_value_hll x
                        WHERE x.fingerprint_id = f.id), '[]')))
  FROM fingerprints f
  WHERE EXISTS (SELECT 1 FROM fingerprint_names n WHERE n.fingerprint_id = f.id)
     OR EXISTS (SELECT 1 FROM fingerprint_values v WHERE v.fingerprint_id = f.id)
     OR EXISTS (SELECT 1 FROM fingerprint_value_hll x WHERE x.fingerprint_id = f.id);

DROP TABLE fingerprint_names;
DROP TABLE fingerprint_values;
DROP TABLE fingerprint_value_hll;

-- Indexes no query uses any more (listing walks fingerprints_by_total / _by_recency; the status
-- filter walks the sort index): each cost a delete + insert per fingerprint on every commit.
DROP INDEX fingerprints_by_count;
DROP INDEX fingerprints_by_last_seen;
DROP INDEX fingerprints_by_status;
