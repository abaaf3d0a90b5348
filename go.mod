module github.com/ddm-agent/ddm

go 1.26
