package delivery

// PreviewPolicy is the preview role's policy: PreviewGrants, each on the resources the reference
// lets it be scoped to. It can read the state and the data sources, and change nothing.
func PreviewPolicy(s Scope) (Document, error) {
	ref, err := Reference()
	if err != nil {
		return Document{}, err
	}
	var allowed []scoped
	for _, g := range PreviewGrants() {
		_, resources, err := s.lookUp(ref, g.Action)
		if err != nil {
			return Document{}, err
		}
		allowed = append(allowed, scoped{g.Action, resources, nil})
	}
	return Document{Version: "2012-10-17", Statement: allowStatements(allowed)}, nil
}
