module metaffi/gohelper

go 1.22
