// Package sfenv keeps gosnowflake quiet in tests: imported (blank) by a test
// package, it sets SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true and
// SF_DISABLE_MINICORE=true before gosnowflake's own package initialization
// runs.
//
// Setting them in TestMain is enough for platform detection (which runs at
// the first connection) but too late for minicore, which gosnowflake starts
// loading (a native library unpacked into a temporary directory) in its
// package init. Go initializes packages in dependency order and, among
// those ready, by import path (Go 1.21+): this package depends only on os
// and its path sorts before github.com/snowflakedb/gosnowflake, so its init
// runs first. Variables already set in the environment are left alone.
package sfenv

import "os"

func init() {
	for _, name := range []string{"SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "SF_DISABLE_MINICORE"} {
		if _, ok := os.LookupEnv(name); !ok {
			os.Setenv(name, "true")
		}
	}
}
