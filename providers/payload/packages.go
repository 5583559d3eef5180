package payload

// Package is a data plan of the kind every provider sells; one is chosen per
// World so that the code, name, price and validity in its events agree.
type Package struct {
	Code     string  // provider-neutral code, e.g. "US-1GB-7D"
	Slug     string  // Airalo-style package id, e.g. "change-7days-1gb"
	Name     string  // display name, e.g. "USA 1GB - 7 Days"
	Country  string  // ISO 3166-1 alpha-2
	DataGB   float64 // data allowance in GB
	Days     int     // validity in days
	Price    float64 // wholesale price
	Currency string
}

// Packages is the plan list a World draws from.
var Packages = []Package{
	{"US-1GB-7D", "change-7days-1gb", "USA 1GB - 7 Days", "US", 1, 7, 5.5, "USD"},
	{"US-3GB-30D", "change-30days-3gb", "USA 3GB - 30 Days", "US", 3, 30, 11.0, "USD"},
	{"EU-5GB-30D", "eurolink-30days-5gb", "Europe 5GB - 30 Days", "EU", 5, 30, 14.5, "USD"},
	{"JP-2GB-15D", "moshi-moshi-15days-2gb", "Japan 2GB - 15 Days", "JP", 2, 15, 8.25, "USD"},
	{"TR-7GB-10D", "bonbon-10days-7gb", "Türkiye 7GB - 10 Days", "TR", 7, 10, 12.75, "USD"},
	{"GB-10GB-30D", "uki-mobile-30days-10gb", "United Kingdom 10GB - 30 Days", "GB", 10, 30, 19.0, "USD"},
	{"TH-5GB-8D", "dtac-8days-5gb", "Thailand 5GB - 8 Days", "TH", 5, 8, 7.5, "USD"},
	{"GLOBAL-1GB-7D", "discover-7days-1gb", "Global 1GB - 7 Days", "GL", 1, 7, 9.0, "USD"},
}
