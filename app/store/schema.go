package store

// Top-level buckets of littleboxes' schema. What goes inside each is up to
// the package that owns it; the store sees opaque bytes.
const (
	// BucketArmy holds the army: agents, capabilities and channels, as the
	// army package encodes them.
	BucketArmy = "army"
	// BucketCapabilities holds capability configs (props and secret
	// references, never secret values), one key per capability instance.
	BucketCapabilities = "capabilities"
	// BucketSecrets holds the names of the secrets in the OS keyring (the
	// keyring cannot list them). Never a value.
	BucketSecrets = "secrets"
	// BucketData holds one nested bucket per capability instance for its
	// own data, e.g. a kv capability's namespace: ("data", instanceID).
	BucketData = "data"
)

// Schema is littleboxes' schema, the default Options.Migrations. Append to
// it; never edit or reorder a step that has shipped: a file's version is
// the number of steps it has run.
var Schema = []Migration{
	{
		Name: "create the army, capabilities, secrets and data buckets",
		Up: func(tx Tx) error {
			for _, b := range []string{BucketArmy, BucketCapabilities, BucketSecrets, BucketData} {
				if _, err := tx.CreateBucket(b); err != nil {
					return err
				}
			}
			return nil
		},
	},
}
