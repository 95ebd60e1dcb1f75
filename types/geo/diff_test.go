package geo_test

import (
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// Every reply is compared byte for byte: scores, coordinates, distances,
// and the order of unsorted searches (the order points are found in).

func TestGeoAddMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
geoadd Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
zrange Sicily 0 -1 withscores
geoadd Sicily 13.361389 38.115556 Palermo
geoadd Sicily ch 13.361389 38.115557 Palermo 1 1 new
geoadd Sicily nx 0 0 Palermo 2 2 new2
geoadd Sicily xx 0 0 Palermo 3 3 new3
geoadd Sicily xx ch 5 5 Palermo 3 3 new3
geoadd Sicily ch nx 6 6 Palermo 4 4 new4
zscore Sicily Palermo
zscore Sicily new3
geoadd Sicily xx nx 1 1 x
geoadd Sicily nx xx ch 1 1 x
geoadd Sicily gt 1 1 x
geoadd Sicily 1 1
geoadd Sicily 1 1 a 2
geoadd Sicily ch ch ch
geoadd Sicily nx ch ch
geoadd Sicily 200 10 x
geoadd Sicily 10 86 x
geoadd Sicily -180.000001 0 x
geoadd Sicily 0 -85.05112879 x
geoadd Sicily inf 0 x
geoadd Sicily 0 -inf x
geoadd Sicily 1e300 0 x
geoadd Sicily -0 1e-300 x
geoadd Sicily abc 0 x
geoadd Sicily 0 abc x
geoadd Sicily " 1" 0 x
geoadd Sicily 1 1 ok 200 0 bad
exists bad ok
geoadd Sicily 180 85.05112878 ne -180 -85.05112878 sw 0 0 origin -0 -0 negzero
geoadd Sicily 179.9999999 85.0511287 a1 -179.9999999 -85.0511287 a2 0x10 0x1p3 hex
zrange Sicily 0 -1 withscores
geoadd nokey xx 1 1 a
exists nokey
set str x
geoadd str 1 1 a
geoadd str 200 1 a
geoadd new 1 1 a
object encoding new
type new
`)
	})
}

func TestGeoReadCommandsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
geoadd Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
geoadd Sicily 180 85.05112878 ne -180 -85.05112878 sw 0 0 origin 12.5 41.9 rome
geoadd Sicily -179.9999 0.0001 west 179.9999 -0.0001 east
zadd Sicily 0 zero -1 neg 4503599627370496 two52 1e20 huge inf pinf -inf ninf 1.5 frac 9007199254740993 odd
geopos Sicily Palermo Catania NonExisting ne sw origin west east rome
geopos Sicily zero neg two52 huge pinf ninf frac odd
geopos nokey a b
geopos Sicily
geohash Sicily Palermo Catania NonExisting ne sw origin west east rome
geohash Sicily zero neg two52 huge pinf ninf frac odd
geohash nokey a
geodist Sicily Palermo Catania
geodist Sicily Palermo Catania m
geodist Sicily Palermo Catania KM
geodist Sicily Palermo Catania ft
geodist Sicily Palermo Catania mi
geodist Sicily Palermo Catania miles
geodist Sicily Palermo Catania km extra
geodist Sicily Palermo Palermo
geodist Sicily ne sw
geodist Sicily west east km
geodist Sicily Palermo missing
geodist Sicily missing Palermo
geodist nokey a b
geodist nokey a b badunit
geodist Sicily zero huge
geodist Sicily neg pinf mi
set str x
geopos str a
geohash str a
geodist str a b
geodist str a b km
`)
	})
}

func TestGeoSearchMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
geoadd Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 12.758489 38.788135 edge1 17.241510 38.788135 edge2
geoadd Sicily 13.5 37.6 a 14 37.9 b 14.5 38.1 c 15 37.1 d 16 38 e 13.9 37.4 f 14.7 37.3 g 15.5 38.5 h
geoadd Sicily 14.2 37.8 dup1 14.2 37.8 dup2 14.2 37.8 dup3 14.2 37.8 dup0
georadius Sicily 15 37 200 km
georadius Sicily 15 37 200 km asc
georadius Sicily 15 37 200 km desc
georadius Sicily 15 37 200 km withdist withcoord withhash
georadius Sicily 15 37 200 km WITHHASH WITHCOORD
georadius Sicily 15 37 200 km count 3
georadius Sicily 15 37 200 km count 3 desc
georadius Sicily 15 37 200 km count 3 any
georadius Sicily 15 37 200 km count 3 any asc withdist
georadius Sicily 15 37 200 km count 100
georadius Sicily 15 37 200 km any
georadius Sicily 15 37 200 km count
georadius Sicily 15 37 200 km count 0
georadius Sicily 15 37 200 km count -1
georadius Sicily 15 37 200 km count x
georadius Sicily 15 37 200 km bogus
georadius Sicily 15 37 -1 km
georadius Sicily 15 37 x km
georadius Sicily 15 37 1 lightyears
georadius Sicily 200 37 1 km
georadius Sicily 15 37 0 km
georadius Sicily 14.2 37.8 0 km
georadius Sicily 14.2 37.8 0 km count 2
georadius Sicily 14.2 37.8 50 km count 5 withdist
georadius Sicily 14.2 37.8 50 km count 5 desc withdist
georadius Sicily 15 37 inf km
georadius Sicily 15 37 1e30 m count 2
georadius Sicily 15 37 200 km withdist frommember Palermo
georadius_ro Sicily 15 37 200 km withdist asc
georadius_ro Sicily 15 37 200 km store x
georadius_ro Sicily 15 37 200 km storedist x
georadiusbymember Sicily Palermo 200 km
georadiusbymember Sicily Palermo 200 km withdist
georadiusbymember Sicily Palermo 200 km count 2 desc withcoord
georadiusbymember Sicily nosuch 200 km
georadiusbymember Sicily Palermo -1 km
georadiusbymember_ro Sicily Palermo 100 mi withdist
georadiusbymember nokey nosuch -1 badunit
georadiusbymember nokey nosuch -1 badunit count 0
georadiusbymember nokey nosuch -1 badunit any
georadius nokey 15 37 200 km
georadius nokey 200 37 200 km
georadius nokey 15 37 200 km count 0
geosearch Sicily fromlonlat 15 37 byradius 200 km
geosearch Sicily fromlonlat 15 37 byradius 200 km asc withdist withcoord withhash
geosearch Sicily frommember Palermo byradius 200 km desc withdist
geosearch Sicily frommember Palermo bybox 400 400 km withdist
geosearch Sicily frommember Palermo bybox 400 100 km withdist asc
geosearch Sicily fromlonlat 15 37 bybox 200 200 mi withdist asc count 4
geosearch Sicily fromlonlat 15 37 bybox 200 200 mi count 4 any
geosearch Sicily frommember nosuch bybox 200 200 mi
geosearch Sicily frommember nosuch frommember Palermo bybox 200 200 mi
geosearch Sicily frommember Palermo frommember Catania byradius 100 km byradius 200 km withdist
geosearch Sicily fromlonlat 1 1 fromlonlat 15 37 byradius 200 km
geosearch Sicily frommember Palermo fromlonlat 15 37 byradius 200 km
geosearch Sicily fromlonlat 15 37 frommember Palermo byradius 200 km
geosearch Sicily frommember Palermo byradius 200 km bybox 1 1 km
geosearch Sicily frommember Palermo bybox 1 1 km byradius 200 km
geosearch Sicily byradius 200 km
geosearch Sicily frommember Palermo
geosearch Sicily frommember Palermo withdist
geosearch Sicily frommember Palermo byradius 200 km any
geosearch Sicily frommember Palermo byradius 200 km store x
geosearch Sicily frommember Palermo byradius 200 km storedist
geosearch Sicily frommember
geosearch Sicily fromlonlat 15
geosearch Sicily fromlonlat 15 37 byradius 200
geosearch Sicily fromlonlat 15 37 bybox 200 200
geosearch Sicily fromlonlat 15 37 bybox -1 200 km
geosearch Sicily fromlonlat 15 37 bybox 1 -200 km
geosearch Sicily fromlonlat 15 37 bybox x 200 km
geosearch Sicily fromlonlat 15 37 bybox 1 y km
geosearch Sicily fromlonlat 15 37 bybox 1 1 yd
geosearch Sicily fromlonlat 15 37 byradius x km
geosearch Sicily fromlonlat 15 100 byradius 1 km
geosearch Sicily fromlonlat x 37 byradius 1 km
GeoSearch Sicily bybox 1 1 km
GEOSEARCH Sicily frommember Palermo
geosearch Sicily fromlonlat 15 37 bybox 0 0 km
geosearch Sicily fromlonlat 14.2 37.8 bybox 0 0 km
geosearch Sicily fromlonlat 15 37 bybox inf 1 km
geosearch nokey frommember x byradius 1 km
geosearch nokey frommember x
geosearch nokey fromlonlat 1 100 byradius 1 km
set str x
georadius str 15 37 200 km
georadius str 200 37 200 km
geosearch str frommember x byradius 1 km
georadiusbymember str x 1 km
`)
	})
}

// Searches near the poles and the antimeridian, and huge ones, where
// neighbour cells wrap around, repeat or are pruned.
func TestGeoSearchEdgesMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
geoadd w 179.9 10 e1 -179.9 10 w1 179.5 10.5 e2 -179.5 9.5 w2 0 0 o 90 0 q -90 0 r 180 0 am -180 0 am2
geoadd w 0 85 n1 90 85 n2 180 85 n3 -90 85 n4 45 84 n5 0 -85 s1 90 -85 s2 -135 -84.9 s3 10 85.05112878 top
geosearch w fromlonlat 180 10 byradius 100 km withdist asc
geosearch w fromlonlat -180 10 byradius 100 km withdist
geosearch w fromlonlat 179.95 10 bybox 200 200 km withdist
geosearch w frommember w1 bybox 100 100 km withcoord
georadius w 0 85 1000 km withdist
georadius w 0 85 3000 km withdist
georadius w 0 85.05112878 500 km withdist
georadius w 45 -85 2000 km withdist withcoord
georadius w 0 0 20000 km
georadius w 0 0 20000 km asc withdist
georadius w 0 0 10000 km
georadius w 0 0 5000 km withdist
georadius w 0 0 1e10 km count 3 desc
georadius w 0 0 40000 km withhash
georadius w 90 45 7000 km
georadiusbymember w top 600 km withdist
georadiusbymember w n3 5000 km withdist
geosearch w fromlonlat 0 0 bybox 40000 40000 km
geosearch w fromlonlat 0 0 bybox 40000 100 km
geosearch w fromlonlat 0 85 bybox 4000 400 km withdist
geosearch w fromlonlat 170 -80 bybox 5000 2000 km withdist
geosearch w fromlonlat 0 0 byradius 1 ft
geosearch w fromlonlat 0 0 byradius 0 m withdist
geosearch w frommember am byradius 1 m withdist
`)
	})
}

func TestGeoStoreMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
geoadd Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 14 37.9 b 14.5 38.1 c
georadius Sicily 15 37 200 km store dst
type dst
object encoding dst
zrange dst 0 -1 withscores
georadius Sicily 15 37 200 km storedist dst
zrange dst 0 -1 withscores
georadius Sicily 15 37 200 km storedist dst store dst2
exists dst2
zrange dst 0 -1 withscores
georadius Sicily 15 37 200 km count 2 desc storedist dst
zrange dst 0 -1 withscores
georadius Sicily 15 37 200 mi store dst withdist
georadius Sicily 15 37 200 mi store dst withhash
georadius Sicily 15 37 200 mi store dst withcoord
georadius Sicily 15 37 200 km store
georadiusbymember Sicily Palermo 200 km store dst2
zrange dst2 0 -1 withscores
georadiusbymember Sicily Palermo 200 km storedist dst2 count 1
zrange dst2 0 -1 withscores
set dst3 x
expire dst3 100
georadius Sicily 15 37 200 km store dst3
type dst3
ttl dst3
georadius Sicily 0 0 1 km store dst3
exists dst3
georadius nokey 15 37 200 km store dst
exists dst
georadius nokey 15 37 200 km store dst
geosearchstore dst Sicily frommember Palermo bybox 400 400 km
zrange dst 0 -1 withscores
geosearchstore dst Sicily frommember Palermo bybox 400 400 km storedist
zrange dst 0 -1 withscores
geosearchstore dst Sicily frommember Palermo byradius 400 km storedist count 2 desc
zrange dst 0 -1 withscores
geosearchstore dst Sicily frommember Palermo byradius 400 km withdist
geosearchstore dst Sicily frommember Palermo byradius 400 km store x
geosearchstore dst Sicily frommember Palermo byradius 400 km storedist x
geosearchstore dst Sicily fromlonlat 0 0 byradius 1 km
exists dst
geosearchstore dst nokey fromlonlat 0 0 byradius 1 km
geosearchstore dst nokey frommember nosuch
geosearchstore Sicily Sicily frommember Palermo byradius 100 km
zrange Sicily 0 -1 withscores
`)
		// A stored result is a listpack while small, as ZADD would make it.
		p.Script(`
config set zset-max-listpack-entries 3
geoadd big 1 1 a 1.1 1 b 1.2 1 c 1.3 1 d
georadius big 1 1 100 km store big2
object encoding big2
georadius big 1 1 100 km count 3 store big2
object encoding big2
config set zset-max-listpack-entries 128
config set zset-max-listpack-value 4
geoadd long 1 1 abcdefgh 1 1.01 b
georadius long 1 1 100 km store long2
object encoding long2
georadius long 1 1 100 km count 1 desc store long2
object encoding long2
config set zset-max-listpack-value 64
`)
	})
}

// TestGeoSignalsMatchRedis compares, after each command, the events it
// published, the dirty counter and the keyspace hits and misses.
func TestGeoSignalsMatchRedis(t *testing.T) {
	difftest.CompareSignals(t, []string{
		"geoadd g 1 1 a 2 2 b", "geoadd g 1 1 a", "geoadd g ch 1 1.5 a 3 3 c", "geoadd g xx 4 4 d", "geoadd g 200 1 x",
		"geoadd h xx 1 1 a", "geopos g a b x", "geopos nokey a", "geohash g a", "geodist g a b", "geodist nokey a b",
		"georadius g 1 1 500 km", "georadiusbymember g a 500 km", "geosearch g frommember a byradius 500 km",
		"georadius g 1 1 500 km store d", "georadius g 1 1 500 km storedist d", "georadius g 1 1 1 m store d2",
		"georadius g 50 50 1 m store d", "georadius g 50 50 1 m store d", "georadius nokey 1 1 1 m store d",
		"geosearchstore d g frommember a byradius 500 km", "geosearchstore d g frommember a byradius 500 km count 1",
		"geosearchstore d nokey frommember a byradius 500 km", "geosearchstore g g frommember a byradius 1 m",
	})
}
