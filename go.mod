module github.com/ddm-agent/ddm

go 1.26.0

require (
	github.com/spf13/pflag v1.0.10
	gopkg.in/yaml.v3 v3.0.1
	periph.io/x/conn/v3 v3.7.3
)
