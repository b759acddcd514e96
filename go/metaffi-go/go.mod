module metaffi/gohelper

go 1.21
