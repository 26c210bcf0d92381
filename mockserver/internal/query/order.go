package query

import (
	"cmp"
	"slices"
	"strings"
)

// Order sorts by one field.
type Order struct {
	Field      string
	Descending bool
	// Pos is the field's position in CZQL or orders text (0 from JSON);
	// Path its JSON path (orders[1].fieldName).
	Pos  int
	Path string
}

// Where locates the order for error messages.
func (o Order) Where() Location { return Location{Path: o.Path, Pos: o.Pos} }

// ParseOrders reads orders text with the package's default limits (see
// Limits.ParseOrders).
func ParseOrders(s string) ([]Order, error) { return Limits{}.ParseOrders(s) }

// ParseOrders reads "Name, Budget DESC" (ASC is the default) within l.
func (l Limits) ParseOrders(s string) ([]Order, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	p := &parser{limits: l}
	if err := p.init(s); err != nil {
		return nil, err
	}
	orders, err := p.orderList()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.errorf("expected , or the end of the orders")
	}
	return orders, nil
}

// Sort orders rows stably by the given fields; nil values sort first, and
// ties keep the input order (by id, as the store returns rows).
func Sort[R Record](rows []R, orders []Order) {
	if len(orders) == 0 {
		return
	}
	slices.SortStableFunc(rows, func(a, b R) int {
		for _, o := range orders {
			x, _ := a.Get(o.Field)
			y, _ := b.Get(o.Field)
			var n int
			switch {
			case x == nil && y == nil:
			case x == nil:
				n = -1
			case y == nil:
				n = 1
			default:
				var ok bool
				if n, ok = compareValues(x, y); !ok {
					n = cmp.Compare(text(x), text(y))
				}
			}
			if o.Descending {
				n = -n
			}
			if n != 0 {
				return n
			}
		}
		return 0
	})
}
