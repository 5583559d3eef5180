package mockserver

// Version is the version /healthz reports. The build may set it with
// -ldflags "-X github.com/esimhooks/esimhooks/mockserver.Version=v1.2.3";
// otherwise the main module's version from the build info is used.
var Version = ""
