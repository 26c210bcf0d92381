package tenant

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
)

// Redacted replaces secret credential field values on read.
const Redacted = "********"

func cloneCredType(c *CredentialType) CredentialType {
	d := *c
	d.Fields = slices.Clone(c.Fields)
	return d
}

// CredentialTypes returns every credential type, in fixture order.
func (t *Tenant) CredentialTypes() []CredentialType {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]CredentialType, len(t.credTypes))
	for i, c := range t.credTypes {
		out[i] = cloneCredType(c)
	}
	return out
}

// CredentialTypesAt returns every credential type, in fixture order, with
// the tenant's Generation read under the same lock: the types change only
// when the tenant is reset, so a caller may keep what it derives from them
// for as long as Generation stays the same.
func (t *Tenant) CredentialTypesAt() ([]CredentialType, uint64) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]CredentialType, len(t.credTypes))
	for i, c := range t.credTypes {
		out[i] = cloneCredType(c)
	}
	return out, t.generation
}

// CredentialType finds a credential type by name.
func (t *Tenant) CredentialType(name string) (CredentialType, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if c := t.credType(name); c != nil {
		return cloneCredType(c), true
	}
	return CredentialType{}, false
}

func (t *Tenant) credType(name string) *CredentialType {
	for _, c := range t.credTypes {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Credentials returns every credential, oldest first (ties by id).
func (t *Tenant) Credentials() []Credential {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Credential, 0, len(t.creds))
	for _, c := range t.creds {
		out = append(out, c.clone())
	}
	slices.SortFunc(out, func(a, b Credential) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// Credential returns a credential with its real field values.
func (t *Tenant) Credential(id string) (Credential, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	c, ok := t.creds[id]
	if !ok {
		return Credential{}, false
	}
	return c.clone(), true
}

// Redact returns the fields with every secret field of the credential's
// type replaced by Redacted.
func (t *Tenant) Redact(c Credential) map[string]string {
	t.mu.RLock()
	ct := t.credType(c.Type)
	t.mu.RUnlock()
	out := make(map[string]string, len(c.Fields))
	for k, v := range c.Fields {
		if ct != nil {
			if f, ok := ct.Field(k); ok && f.Secret {
				v = Redacted
			}
		}
		out[k] = v
	}
	return out
}

// checkCredential validates fields against the type; old supplies the
// previous values of secret fields left out or sent as Redacted.
func (t *Tenant) checkCredential(name, typeName string, fields, old map[string]string) (map[string]string, error) {
	// A name is optional, as the vendor declares it; one that is sent has
	// a character that is not white space.
	if name != "" && strings.TrimSpace(name) == "" {
		return nil, &ValueError{Field: "name", Msg: "needs a character that is not white space"}
	}
	ct := t.credType(typeName)
	if ct == nil {
		return nil, &ValueError{Field: "type.name", Msg: fmt.Sprintf("unknown credential type %q", typeName)}
	}
	out := map[string]string{}
	for k, v := range fields {
		f, ok := ct.Field(k)
		if !ok {
			return nil, &ValueError{Field: "credentialFields." + k, Msg: fmt.Sprintf("credential type %s has no field %q", ct.Name, k)}
		}
		if f.Secret && v == Redacted {
			if prev, ok := old[k]; ok {
				v = prev
			} else {
				return nil, &ValueError{Field: "credentialFields." + k, Msg: "send the secret value, not the redaction placeholder"}
			}
		}
		out[k] = v
	}
	for _, f := range ct.Fields {
		if _, sent := out[f.Name]; !sent && f.Secret {
			if prev, ok := old[f.Name]; ok {
				out[f.Name] = prev
			}
		}
		if f.Required && out[f.Name] == "" {
			return nil, &ValueError{Field: "credentialFields." + f.Name, Msg: "is required"}
		}
	}
	return out, nil
}

// CreateCredential stores a new credential with a random UUID; name may be
// empty (the credential has none).
func (t *Tenant) CreateCredential(name, typeName string, fields map[string]string) (Credential, error) {
	now := t.now().UTC()
	t.lock()
	defer t.mu.Unlock()
	vals, err := t.checkCredential(name, typeName, fields, nil)
	if err != nil {
		return Credential{}, err
	}
	c := &Credential{ID: newUUID(), Name: name, Type: typeName, Fields: vals, Created: now, Modified: now}
	t.creds[c.ID] = c
	return c.clone(), nil
}

// UpdateCredential replaces a credential's name, type and fields. A nil
// name keeps the stored one. Secret fields left out, or sent as Redacted,
// keep their value.
func (t *Tenant) UpdateCredential(id string, name *string, typeName string, fields map[string]string) (Credential, error) {
	now := t.now().UTC()
	t.lock()
	defer t.mu.Unlock()
	c, ok := t.creds[id]
	if !ok {
		return Credential{}, fmt.Errorf("credential %s: %w", id, ErrNotFound)
	}
	var old map[string]string
	if c.Type == typeName {
		old = c.Fields
	}
	newName := c.Name
	if name != nil {
		newName = *name
	}
	vals, err := t.checkCredential(newName, typeName, fields, old)
	if err != nil {
		return Credential{}, err
	}
	c.Name, c.Type, c.Fields, c.Modified = newName, typeName, vals, now
	return c.clone(), nil
}

// DeleteCredential removes a credential.
func (t *Tenant) DeleteCredential(id string) error {
	t.lock()
	defer t.mu.Unlock()
	if _, ok := t.creds[id]; !ok {
		return fmt.Errorf("credential %s: %w", id, ErrNotFound)
	}
	delete(t.creds, id)
	return nil
}

// newUUID returns a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
