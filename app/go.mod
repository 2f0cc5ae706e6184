module ecs-blue-green/app

// go 1.19 so that Debian 12's golang-go (1.19) can build and test it; the
// image builds with a current Go (see Dockerfile), which accepts this line.
go 1.19
