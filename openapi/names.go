package openapi

import (
	"slices"
	"sync"
)

// VendorOperationNames lists every operation of the vendor APIs as
// "<api>.<operationId>" ("data.entityQuery"), sorted: what fault rules and
// other operation patterns may name.
func VendorOperationNames() ([]string, error) {
	names, err := vendorOperationNames()
	return slices.Clone(names), err
}

var vendorOperationNames = sync.OnceValues(func() ([]string, error) {
	var names []string
	for _, api := range VendorAPIs {
		doc, err := Load(api)
		if err != nil {
			return nil, err
		}
		ops, err := Operations(api, doc)
		if err != nil {
			return nil, err
		}
		for _, op := range ops {
			names = append(names, string(api)+"."+op.ID)
		}
	}
	slices.Sort(names)
	return names, nil
})
