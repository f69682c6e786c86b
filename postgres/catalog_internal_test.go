package postgres

import "testing"

func TestCatalogWrittenParts(t *testing.T) {
	for sql, want := range map[string]catalogPart{
		`SELECT id, city, name_fa, name_az FROM neighborhoods ORDER BY city, name_fa`: 0,
		`UPDATE residents SET neighborhood_id = $2 WHERE id = $1`:                     0,
		`INSERT INTO training_enrollments (training_id) SELECT t.id FROM trainings t`: 0,
		`SELECT 1 FROM trainings t WHERE t.id = $1 FOR UPDATE`:                        0,
		`UPDATE trainings SET seats_taken = $2 WHERE id = $1`:                         0,
		"UPDATE trainings SET seats_taken = seats_taken + 1\n\t\tWHERE id = $1":       0,
		`UPDATE trainings SET seats_taken = 0, title_fa = $2 WHERE id = $1`:           partTrainings,
		"WITH ins AS (INSERT INTO training_enrollments (training_id) SELECT t.id FROM trainings t RETURNING status), seat AS (\n\t\tUPDATE trainings SET seats_taken = seats_taken + 1\n\t\tWHERE id = $1 AND EXISTS (SELECT 1 FROM ins WHERE status = 'confirmed')) SELECT count(*) FROM ins": 0,
		`UPDATE trainings SET status = 'cancelled' WHERE id = $1`:                                                                      partTrainings,
		`update Cooperatives set members = members + 1 where id = $1`:                                                                  0, // not our spelling: the notification covers it
		`UPDATE cooperatives SET members = members + 1 WHERE id = $1`:                                                                  partCooperatives,
		"INSERT INTO neighborhoods (city, name_fa, name_az) VALUES ('تبریز', $1, $2)":                                                  partNeighborhoods,
		`DELETE FROM cooperatives WHERE id = $1`:                                                                                       partCooperatives,
		`TRUNCATE neighborhoods, cooperatives CASCADE`:                                                                                 partNeighborhoods,
		`WITH c AS (UPDATE cooperatives SET status = 'closed' RETURNING neighborhood_id) UPDATE neighborhoods SET name_az = '' FROM c`: partCooperatives | partNeighborhoods,
	} {
		if got := writtenParts(sql); got != want {
			t.Errorf("%q: %b, want %b", sql, got, want)
		}
	}
}
