package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Demo data: real neighborhoods of Tabriz with their Persian and Azeri names, and a few
// cooperatives. Seeding is idempotent.
var seedNeighborhoods = []struct{ fa, az string }{
	{"ائل‌گلی", "ائل‌گؤلو"},
	{"ولیعصر", "ولیعصر"},
	{"آبرسان", "آبرسان"},
	{"مارالان", "مارالان"},
	{"ششگلان", "شیشگیلان"},
	{"سرخاب", "سورخاب"},
	{"دوه‌چی", "دوه‌چی"},
	{"امیرخیز", "امیرخیز"},
	{"خیابان", "خیابان"},
	{"نوبر", "نوبر"},
	{"قراملک", "قاراملیک"},
	{"چرنداب", "چرنداب"},
	{"باغمیشه", "باغمیشه"},
	{"حکم‌آباد", "حؤکم‌آباد"},
	{"لیل‌آباد", "لیل‌آباد"},
	{"منظریه", "منظریه"},
	{"راسته‌کوچه", "راسته‌کۆچه"},
	{"شنب غازان", "شنب‌غازان"},
	{"ستارخان", "ستارخان"},
	{"زعفرانیه", "زعفرانیه"},
}

var seedCooperatives = []struct {
	neighborhood, fa, az, activityFa, activityAz string
	minShare                                     int64
}{
	{"سرخاب", "تعاونی فرش‌بافی بانوان سرخاب", "سورخاب خانیملار خالچا توخوما تعاونیسی", "بافت و فروش فرش دستباف", "ال توخوماسی خالچا توخوماق و ساتماق", 5_000_000},
	{"ائل‌گلی", "تعاونی مصرف محله ائل‌گلی", "ائل‌گؤلو محله‌سی ایستهلاک تعاونیسی", "خرید جمعی کالاهای اساسی برای خانوارها", "عاییله‌لر اوچون اساس مال‌لارین بیرگه آلینماسی", 2_000_000},
	{"ششگلان", "تعاونی صنایع دستی ششگلان", "شیشگیلان ال صنایعی تعاونیسی", "صنایع دستی، سفال و منبت", "ال صنایعی، ساخسی و منبت", 3_000_000},
	{"مارالان", "تعاونی خدمات فنی جوانان مارالان", "مارالان گنج‌لری فنی خدمتلر تعاونیسی", "تعمیرات ساختمان و تأسیسات", "بینا و تأسیسات تعمیری", 4_000_000},
	{"حکم‌آباد", "تعاونی نان و شیرینی محلی حکم‌آباد", "حؤکم‌آباد یئرلی چؤرک و شیرنی تعاونیسی", "پخت نان و شیرینی سنتی", "سنتی چؤرک و شیرنی پیشیرمک", 2_500_000},
}

// Seed loads the demo data. Running it again changes nothing.
func (db *DB) Seed(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		for _, n := range seedNeighborhoods {
			if _, err := tx.Exec(ctx, `INSERT INTO neighborhoods (city, name_fa, name_az) VALUES ('تبریز', $1, $2)
				ON CONFLICT (city, name_fa) DO NOTHING`, n.fa, n.az); err != nil {
				return err
			}
		}
		for _, c := range seedCooperatives {
			if _, err := tx.Exec(ctx, `
				INSERT INTO cooperatives (neighborhood_id, name_fa, name_az, activity_fa, activity_az, min_share)
				SELECT id, $2, $3, $4, $5, $6 FROM neighborhoods WHERE city = 'تبریز' AND name_fa = $1
				ON CONFLICT (name_fa) DO NOTHING`, c.neighborhood, c.fa, c.az, c.activityFa, c.activityAz, c.minShare); err != nil {
				return err
			}
		}
		for _, s := range seeders {
			if err := s(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(err, "seed")
}

// seeders are the demo data of later areas (trainings, …), run in the seed transaction.
// Add an area's seed function to this list.
var seeders = []func(ctx context.Context, tx pgx.Tx) error{seedJoin, seedTrainings}
