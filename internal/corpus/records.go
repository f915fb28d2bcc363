package corpus

import "math/rand/v2"

// Record is one synthetic person with a value for every detector.
type Record struct {
	Name         string // cn_name, e.g. 张伟
	ResidentID   string // cn_resident_id, 18 characters
	Mobile       string // cn_mobile, 11 digits
	BankCard     string // bank_card, 16 or 19 digits
	Email        string // email
	Address      string // cn_address
	Passport     string // cn_passport
	TravelPermit string // cn_travel_permit
}

// newRand returns the package's deterministic generator for seed.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// recordGen produces records whose values never repeat. The value formats of
// the fields are disjoint, so one set serves all of them.
type recordGen struct {
	r    *rand.Rand
	seen map[string]struct{}
}

func newRecordGen(seed uint64) *recordGen {
	return &recordGen{r: newRand(seed), seen: make(map[string]struct{})}
}

// fresh draws from f until it returns a value not seen before.
func (g *recordGen) fresh(f func(*rand.Rand) string) string {
	for {
		v := f(g.r)
		if _, dup := g.seen[v]; !dup {
			g.seen[v] = struct{}{}
			return v
		}
	}
}

// next returns a record none of whose values appeared before.
func (g *recordGen) next() Record {
	return Record{
		Name:         g.fresh(Name),
		ResidentID:   g.fresh(ResidentID),
		Mobile:       g.fresh(Mobile),
		BankCard:     g.fresh(BankCard),
		Email:        g.fresh(Email),
		Address:      g.fresh(Address),
		Passport:     g.fresh(Passport),
		TravelPermit: g.fresh(TravelPermit),
	}
}

// Records returns n records generated from seed. Within each field all n
// values are distinct, so a renderer that shows n records holds n distinct
// values of each detector it shows. Names are the tightest field (about
// two million combinations); keep n below 500,000.
func Records(seed uint64, n int) []Record {
	g := newRecordGen(seed)
	out := make([]Record, n)
	for i := range out {
		out[i] = g.next()
	}
	return out
}
