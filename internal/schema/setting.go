package schema

var Setting = register(&Resource{
	Name: "setting", Table: "settings", Singleton: true,
	Ops:     []Op{OpShow, OpUpdate},
	Actions: []string{"read", "update"}, Extents: []Extent{All},
	Desc: "The company's settings (one object).",
	Fields: []*Field{
		{Name: "locale", Type: Locale, Default: "nl"},
		{Name: "timezone", Type: Timezone, Default: "Europe/Amsterdam"},
		currency(),
		enum("date_format", "DD-MM-YYYY", "DD-MM-YYYY", "DD/MM/YYYY", "DD.MM.YYYY", "YYYY-MM-DD", "MM/DD/YYYY"),
		{Name: "fiscal_year_start_month", Type: Int, Min: i64(1), Max: i64(12), Default: int64(1)},
		{Name: "customer_number_prefix", Type: String, Default: ""},
	},
})
