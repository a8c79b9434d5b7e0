package delivery

// Grant is one action of the state backend, on the state bucket, its objects or the KMS key.
type Grant struct {
	Action string
	Why    string
}

// What the DIY backend of the Pulumi CLI (pkg/backend/diy, v3.274) does with an s3:// state
// bucket whose objects and stack secrets are encrypted with one KMS key. Both roles only read the
// bucket's objects under .pulumi/, where the backend keeps everything.
var (
	// readState is what `pulumi preview` needs of the backend: it reads the stack's checkpoint
	// and writes nothing (the engine's snapshot goes to a discarding persister) and takes no lock.
	readState = []Grant{
		{"s3:ListBucket", "finds the stack's checkpoint (.pulumi/stacks/<project>/<stack>.json, possibly compressed) by listing; without it a missing object reads as 403, not 404"},
		{"s3:GetObject", "reads .pulumi/meta.yaml (the state layout) and the stack's checkpoint"},
		{"kms:Decrypt", "decrypts the stack's data key (encryptedkey in Pulumi.<stack>.yaml) to read its secrets, and the bucket's SSE-KMS objects"},
	}
	// writeState is what `pulumi up` and `destroy` add: the checkpoint after every step, a
	// backup and a history entry per update, and the stack's lock file.
	writeState = []Grant{
		{"s3:PutObject", "writes the checkpoint, .pulumi/backups/…, .pulumi/history/… and the lock .pulumi/locks/…"},
		{"s3:DeleteObject", "removes its lock file and the renamed checkpoint; the bucket is versioned, so a delete only adds a delete marker"},
		{"kms:GenerateDataKey", "encrypts the objects it writes (the bucket's default SSE-KMS), through S3 only"},
	}
)

// PreviewGrants are the preview role's actions: the backend's reads and the data sources the
// program reads in every preview. Previews do not refresh, so no resource is read.
func PreviewGrants() []Grant {
	grants := append([]Grant(nil), readState...)
	for _, token := range sortedKeys(Invokes) {
		for _, action := range Invokes[token].Actions {
			grants = append(grants, Grant{action, token + ": " + Invokes[token].Why})
		}
	}
	return grants
}
