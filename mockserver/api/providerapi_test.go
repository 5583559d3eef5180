package api_test

import (
	"github.com/esimhooks/esimhooks/mockserver"
	"github.com/esimhooks/esimhooks/mockserver/providerapi"
)

// The server's tests mount the providers' APIs as serve does (see
// ProviderAPIsForTest).
func init() { mockserver.ProviderAPIsForTest = providerapi.All }
