package compute

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
)

// MaxUserData is what EC2 accepts as user data, before base64 (RunInstances: 16 KB).
const MaxUserData = 16384

// GzipUserData packs user data for an instance's userDataBase64: gzip, which cloud-init
// recognises and unpacks (userdata.FirstBoot reads it back as cloud-init does), then base64. The same text always packs to the same bytes (no
// timestamp in the gzip header), so an unchanged configuration plans no replacement.
func GzipUserData(userData string) (string, error) {
	var packed bytes.Buffer
	w, err := gzip.NewWriterLevel(&packed, gzip.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := io.WriteString(w, userData); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	if packed.Len() > MaxUserData {
		return "", fmt.Errorf("compute: user data is %d bytes gzipped, more than the %d EC2 accepts", packed.Len(), MaxUserData)
	}
	return base64.StdEncoding.EncodeToString(packed.Bytes()), nil
}
