package api_test

import (
	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/providerapi"
)

// The server's tests mount the providers' APIs as serve does (see
// ProviderAPIsForTest).
func init() { api.ProviderAPIsForTest = providerapi.All }
