package tenant

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GenerateFixture asks a tenant for generated rows on top of its fixture's
// own: Count rows of Type (Project by default) with a value for every
// declared field, owned by the tenant's users and shared with its groups.
// The rows are the same for the same fixture and Seed, and are made again
// on Reset. In YAML:
//
//	generate: {type: Project, count: 1000000, seed: 1}
//
// Values follow the field's type and name: Name is unique ("Northwind CRM
// Rollout 000042"), State, Client and other text fields take one of a small
// set of values, Budget and Amount are multiples of 500, PercentComplete
// and Probability run from 0 to 100, dates fall in 2024-2027 (a DueDate
// after its StartDate), references point to users or to existing rows of
// their type, and about 3% of the values other than Name are null. Each
// row's owner is drawn from every user, and each group has the row shared
// with it with probability 1/3, so a user in one group who owns a quarter
// of the rows sees about half of them; 2% of rows are also shared with one
// user directly. The system fields are spread out: CreatedOn in 2023,
// LastUpdatedOn up to two years after it (never null), so a "changed
// since" range selects a share of the rows.
type GenerateFixture struct {
	Type  string `yaml:"type" json:"type,omitempty"`
	Count int    `yaml:"count" json:"count"`
	Seed  uint64 `yaml:"seed" json:"seed,omitempty"`
}

// MaxGenerated bounds GenerateFixture.Count.
const MaxGenerated = 20_000_000

// WithGenerated returns a copy of f that also generates count rows of
// typeName (Project when empty). The copy shares f's slices; do not change
// either afterwards.
func WithGenerated(f *Fixture, typeName string, count int, seed uint64) *Fixture {
	c := *f
	c.Generate = &GenerateFixture{Type: typeName, Count: count, Seed: seed}
	return &c
}

func (g *GenerateFixture) typeName() string {
	if g.Type == "" {
		return "Project"
	}
	return g.Type
}

// validate checks the request against the fixture.
func (g *GenerateFixture) validate(f *Fixture) string {
	if g.Count < 0 || g.Count > MaxGenerated {
		return fmt.Sprintf("count %d is not between 0 and %d", g.Count, MaxGenerated)
	}
	found := false
	for _, et := range f.EntityTypes {
		found = found || strings.EqualFold(et.Name, g.typeName())
	}
	if !found {
		return fmt.Sprintf("type %q is not an entity type of the fixture", g.typeName())
	}
	if g.Count > 0 && len(f.Users) == 0 {
		return "generated rows need at least one user to own them"
	}
	return ""
}

var (
	genAdjectives = []string{"Northwind", "Contoso", "Fabrikam", "Apex", "Blue Harbor", "Summit", "Granite", "Silver Lake",
		"Redwood", "Atlas", "Orion", "Evergreen", "Pioneer", "Lighthouse", "Meridian", "Quantum"}
	genNouns = []string{"CRM Rollout", "Data Migration", "Website Refresh", "ERP Upgrade", "Pipeline Review", "Cloud Move",
		"Security Audit", "Mobile App", "Billing Revamp", "Analytics Platform", "Support Portal", "Warehouse Sync",
		"Onboarding Flow", "Partner Portal", "Reporting Suite", "Compliance Review"}
	genStates  = []string{"Draft", "Active", "Active", "Active", "On Hold", "Completed", "Completed", "Cancelled"}
	genClients = func() []string {
		suffix := []string{"Traders", "Holdings", "Industries", "Labs", "Partners", "Logistics", "Health", "Energy",
			"Foods", "Media", "Systems", "Capital"}
		var out []string
		for _, a := range genAdjectives {
			for _, s := range suffix {
				out = append(out, a+" "+s)
			}
		}
		return append(out, "Internal")
	}()
	genEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	// genSysEpoch is the earliest generated CreatedOn.
	genSysEpoch = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

const day = 24 * 60 * 60

// generate adds the generated rows; the caller holds t.mu.
func (t *Tenant) generate(g *GenerateFixture) error {
	if msg := g.validate(t.fixture); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	et, _ := t.resolveType(g.typeName())
	tb := t.tables[et.Name]
	rng := rand.New(rand.NewPCG(g.Seed, 0x7e4a47c1))
	// The system fields draw from a stream of their own, so the other
	// fields' values are those of generators before them.
	sysRng := rand.New(rand.NewPCG(g.Seed, 0x5c4e07d3))
	createdCol, updatedCol := tb.cols[CreatedOnField], tb.cols[LastUpdatedOnField]
	users := make([]int64, 0, len(t.users))
	for id := range t.users {
		users = append(users, id)
	}
	slices.Sort(users)
	groups := t.groupOrder
	// Small value sets per text field, made once.
	vocab := map[string][]string{}
	for _, c := range tb.order {
		if c.ft.Kind != KindString {
			continue
		}
		switch c.name {
		case "Name":
		case "State", "Status", "Stage":
			vocab[c.name] = genStates
		case "Client", "Company", "Account":
			vocab[c.name] = genClients
		default:
			list := make([]string, 50)
			for i := range list {
				list[i] = c.name + " " + strconv.Itoa(i+1)
			}
			vocab[c.name] = list
		}
	}
	// A DueDate falls after its row's StartDate when the type has both.
	// DueDate comes first in column order, so its draw is kept until
	// StartDate is set.
	start, due := tb.cols["StartDate"], tb.cols["DueDate"]
	if start == nil || due == nil || start.ft.Kind != KindDate || due.ft.Kind != KindDate {
		start, due = nil, nil
	}
	refSlots := map[string]int{}
	for _, c := range tb.order {
		if c.ft.Kind == KindRef && c.ft.RefType != UserType {
			refSlots[c.name] = len(t.tables[c.ft.RefType].ids)
		}
	}
	var name []byte
	var shareGroups []string
	var shareUsers []int64
	for range g.Count {
		dueDraw := -1
		id := tb.next
		slot := uint32(len(tb.ids))
		tb.ids = append(tb.ids, id)
		tb.slotOf[id] = slot
		tb.live.Add(slot)
		tb.next++
		// CreatedOn falls in 2023 (to the minute), LastUpdatedOn within
		// two years after it (to the second), so "changed since" a date in
		// 2023-2025 selects a share of the rows.
		created := genSysEpoch + int64(sysRng.IntN(365*24*60))*60
		updated := created + int64(sysRng.IntN(2*365*24*3600))
		for _, c := range tb.order {
			c.grow()
			switch c {
			case createdCol:
				c.setInt(slot, created)
				continue
			case updatedCol:
				c.setInt(slot, updated)
				continue
			}
			if c == tb.owner {
				c.setInt(slot, users[rng.IntN(len(users))])
				continue
			}
			if c.name != "Name" && rng.IntN(100) < 3 {
				c.setNull(slot)
				continue
			}
			switch c.ft.Kind {
			case KindString:
				if c.name == "Name" {
					name = append(name[:0], genAdjectives[rng.IntN(len(genAdjectives))]...)
					name = append(name, ' ')
					name = append(name, genNouns[rng.IntN(len(genNouns))]...)
					name = append(name, ' ')
					name = appendPadded(name, id)
					c.setString(slot, string(name))
					continue
				}
				list := vocab[c.name]
				c.setString(slot, list[rng.IntN(len(list))])
			case KindNumber:
				switch {
				case strings.Contains(c.name, "Budget"), strings.Contains(c.name, "Amount"), strings.Contains(c.name, "Cost"):
					c.setNumber(slot, float64(10+rng.IntN(1000))*500)
				case strings.Contains(c.name, "Percent"), strings.Contains(c.name, "Probability"):
					c.setNumber(slot, float64(rng.IntN(101)))
				default:
					c.setNumber(slot, float64(rng.IntN(1001)))
				}
			case KindBool:
				c.setInt(slot, int64(min(rng.IntN(10)/6, 1)))
			case KindDate:
				draw := rng.IntN(4 * 365)
				if c == due {
					dueDraw = draw // set once StartDate is
					continue
				}
				c.setInt(slot, genEpoch+int64(draw)*day)
			case KindRef:
				if c.ft.RefType == UserType {
					c.setInt(slot, users[rng.IntN(len(users))])
					continue
				}
				rt := t.tables[c.ft.RefType]
				n := refSlots[c.name]
				if n == 0 {
					c.setNull(slot)
					continue
				}
				s := uint32(rng.IntN(n))
				if !rt.live.Contains(s) {
					c.setNull(slot)
					continue
				}
				c.setInt(slot, rt.ids[s])
			}
		}
		if dueDraw >= 0 {
			if start.valid.has(slot) {
				due.setInt(slot, start.i64[slot]+int64(7+dueDraw%359)*day)
			} else {
				due.setInt(slot, genEpoch+int64(dueDraw)*day)
			}
		}
		shareGroups, shareUsers = shareGroups[:0], shareUsers[:0]
		for _, gr := range groups {
			if rng.IntN(3) == 0 {
				shareGroups = append(shareGroups, gr)
			}
		}
		if rng.IntN(50) == 0 {
			shareUsers = append(shareUsers, users[rng.IntN(len(users))])
		}
		tb.shareFresh(slot, shareGroups, shareUsers)
	}
	return nil
}

// appendPadded writes n with at least six digits.
func appendPadded(b []byte, n int64) []byte {
	s := strconv.FormatInt(n, 10)
	for i := len(s); i < 6; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
