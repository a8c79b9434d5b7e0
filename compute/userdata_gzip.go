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
// recognises and unpacks, then base64. The same text always packs to the same bytes (no
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

// UnpackUserData is what cloud-init runs from an instance's userDataBase64: the text itself, or
// the text of a gzipped payload.
func UnpackUserData(userDataBase64 string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(userDataBase64)
	if err != nil {
		return "", fmt.Errorf("compute: user data is not base64: %w", err)
	}
	if !bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		return string(raw), nil
	}
	r, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	text, err := io.ReadAll(r)
	return string(text), err
}

// FirstBootUserData is what an instance runs at first boot, given its userData and
// userDataBase64 inputs: the latter unpacked as cloud-init does when it is set.
func FirstBootUserData(userData, userDataBase64 string) (string, error) {
	if userDataBase64 != "" {
		return UnpackUserData(userDataBase64)
	}
	return userData, nil
}
