package postgres

// ProtectedColumns lists "table.column" for every column a rekey re-seals or re-hashes,
// and every bytea column known to hold neither (for the test that holds them to the schema).
func ProtectedColumns() (rekeyed, other []string) {
	for _, t := range sealedTables {
		for _, c := range t.sealed {
			rekeyed = append(rekeyed, t.table+"."+c)
		}
		for h := range t.hashes {
			rekeyed = append(rekeyed, t.table+"."+h)
		}
	}
	return rekeyed, unsealedBytea
}
