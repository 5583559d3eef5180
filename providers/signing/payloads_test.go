package signing

// Realistic bodies, taken from the seeds and providers.md, each already in
// the form its provider's verifiers re-serialise to (so SignedBytes(body)
// equals body).

// esimflyPayloads are the eSIMfly 2025-01 seed's eight example payloads as
// JSON.stringify prints them (5.50 -> 5.5, 1.00 -> 1, 20.00 -> 20).
var esimflyPayloads = []struct{ event, body string }{
	{"order.created", `{"event":"order.created","timestamp":"2025-01-16T10:30:00Z","data":{"order_id":"ORD-123456","order_reference":"REF-ABC-123","package_code":"US-1GB-7D","package_name":"USA 1GB - 7 Days","quantity":1,"amount":5.5,"status":"processing"}}`},
	{"order.completed", `{"event":"order.completed","timestamp":"2025-01-16T10:30:15Z","data":{"order_id":"ORD-123456","order_reference":"REF-ABC-123","esims":[{"iccid":"8901234567890123456","qr_code":"LPA:1$...","activation_code":"LPA:1$...","status":"new"}]}}`},
	{"order.failed", `{"event":"order.failed","timestamp":"2025-01-16T10:30:10Z","data":{"order_id":"ORD-123456","order_reference":"REF-ABC-123","error_code":"PROVIDER_ERROR","error_message":"Temporary provider issue","can_retry":true}}`},
	{"esim.activated", `{"event":"esim.activated","timestamp":"2025-01-16T12:00:00Z","data":{"iccid":"8901234567890123456","package_name":"USA 1GB - 7 Days","activated_at":"2025-01-16T12:00:00Z","expires_at":"2025-01-23T12:00:00Z"}}`},
	{"esim.expired", `{"event":"esim.expired","timestamp":"2025-01-23T12:00:00Z","data":{"iccid":"8901234567890123456","package_name":"USA 1GB - 7 Days","data_used":0.85,"data_total":1,"expired_at":"2025-01-23T12:00:00Z"}}`},
	{"balance.low", `{"event":"balance.low","timestamp":"2025-01-16T15:00:00Z","data":{"current_balance":15.5,"threshold":20,"message":"Account balance is running low"}}`},
	{"topup.completed", `{"event":"topup.completed","timestamp":"2025-01-16T14:00:00Z","data":{"iccid":"8901234567890123456","package_code":"US-2GB-30D","package_name":"USA 2GB - 30 Days","amount":8,"new_expiry":"2025-02-15T14:00:00Z"}}`},
	{"topup.failed", `{"event":"topup.failed","timestamp":"2025-01-16T14:00:05Z","data":{"iccid":"8901234567890123456","package_code":"US-2GB-30D","error_code":"TOPUP_NOT_ALLOWED","error_message":"eSIM has expired and cannot be topped up"}}`},
}

// esimflyTricky is an order.created body with the characters where JSON
// encoders differ: "<", ">", "&" (Go escapes them, JavaScript does not),
// "/" (PHP escapes it), non-ASCII (Python and PHP escape it) and 5.5.
const esimflyTricky = `{"event":"order.created","timestamp":"2025-01-16T10:30:00Z","data":{"order_id":"ORD-123456","order_reference":"REF-<A&B>/1","package_code":"CH-1GB-7D","package_name":"Zürich – 1 GB · 7 Tage 🇨🇭","quantity":1,"amount":5.5,"status":"processing"}}`

// esimflyTrickyPretty is esimflyTricky as a person would write it, with
// white space and 5.50; JSON.stringify(JSON.parse(.)) gives esimflyTricky.
const esimflyTrickyPretty = `{
  "event": "order.created",
  "timestamp": "2025-01-16T10:30:00Z",
  "data": {
    "order_id": "ORD-123456",
    "order_reference": "REF-<A&B>/1",
    "package_code": "CH-1GB-7D",
    "package_name": "Zürich – 1 GB · 7 Tage 🇨🇭",
    "quantity": 1,
    "amount": 5.50,
    "status": "processing"
  }
}`

// esimfly2026Body is an esim.provisioned delivery of eSIMfly's 2026-04
// edition.
const esimfly2026Body = `{"event":"esim.provisioned","timestamp":"2026-04-02T09:15:00.000Z","data":{"order_reference":"REF-XYZ-789","iccid":"8901234567890123456","qr_code_url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==","lpa_string":"LPA:1$smdp.io$K2-1ABCD-XYZ","direct_apple_install_url":"https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA:1$smdp.io$K2-1ABCD-XYZ","direct_android_install_url":"https://esimsetup.android.com/esim_qrcode_provisioning?carddata=LPA:1$smdp.io$K2-1ABCD-XYZ","package_name":"USA 1GB - 7 Days"}}`

// airaloAsyncOrder is an async-order notification in PHP's json_encode
// form ("/" as "\/", non-ASCII as \uXXXX).
const airaloAsyncOrder = `{"data":{"id":9666,"code":"20240412-009666","currency":"USD","package_id":"kallur-digital-7days-1gb","quantity":1,"type":"sim","description":"1 sim kallur-digital-7days-1gb","esim_type":"Prepaid","validity":7,"package":"Kallur Digital-1 GB - 7 Days","data":"1 GB","price":9.5,"created_at":"2024-04-12 10:30:00","manual_installation":"<p><b>eSIM name:<\/b> Kallur Digital \u2013 Caf\u00e9<\/p>","sims":[{"id":11047,"created_at":"2024-04-12 10:30:00","iccid":"8944465400000267221","lpa":"lpa.airalo.com","imsis":null,"matching_id":"TEST","qrcode":"LPA:1$lpa.airalo.com$TEST","qrcode_url":"https:\/\/sandbox.airalo.com\/qr?expires=1799054415&id=138565","apn_type":"automatic","apn_value":null,"is_roaming":true}]},"request_id":"kX3cZqH9vLm2NbT7wY1pR4sDf","meta":{"message":"success"}}`

// airaloLowData and airaloCreditLimit are providers.md's examples.
const (
	airaloLowData     = `{"level":"3days","package_name":"bonbon-7gb-10days","remaining_percentage":43,"iccid":"87123123456889019"}`
	airaloCreditLimit = `{"message":"Surpassed 80% of the credit limit balance","remaining":225.35}`
)

// roamifyStatus is an esim/esim_status delivery; Roamify signs raw bytes,
// so it is deliberately not compact.
const roamifyStatus = `{"event_category": "esim", "event_type": "esim_status", "data": {"timestamp": 1736985600, "iccid": "8910300000012345678", "esim_id": "3f1c9a7e-2b4d-4c6e-9f80-1a2b3c4d5e6f", "reference_id": "ref-2025-0001", "start": "2025-01-16T00:00:00Z", "end": "2025-01-23T00:00:00Z", "status": "ACTIVATED", "note": "café <ok> & fine"}}`

// roamifyOrder is an affiliate/order delivery.
const roamifyOrder = `{"event_category":"affiliate","event_type":"order","data":{"timestamp":1736985600,"partner_name":"Acme Travel","partner_id":"p_123","commission_rate":0.1,"commission_amount":1.25,"order_data":{"order_id":"ord_789","order_total":12.5,"order_adjustment":0,"order_subtotal":12.5,"order_discount":0,"order_currency":"USD","order_status":"completed","order_items":[{"item_id":"it_1","item_name":"Europe 5GB","item_quantity":1,"item_price":12.5}]}}}`

// simplifyTripOrder is a PURCHASE_ORDER_SUCCESS delivery.
const simplifyTripOrder = `{"id":"wh_01HV7K3M9Q2","type":"PURCHASE_ORDER_SUCCESS","createdAt":"2025-03-01T08:00:00.000Z","sentDate":"2025-03-01T08:00:02.000Z","mode":"TEST_MODE","data":{"orderId":"SO-100045","trackId":"TRK-7781","status":"COMPLETED","items":[{"subOrderId":"SO-100045-1","subTrackId":"TRK-7781-1","sku":"ESIM-JP-5GB-30D","quantity":1,"type":"eSIM","status":"COMPLETED","eSims":[{"qrCodeContent":"LPA:1$smdp.example.com$ACT-CODE-1","qrCodeImg":"https://cdn.example.com/qr/1.png","iccid":"8981100000000000001","planAPN":"internet","smdpAddress":"smdp.example.com","pin":"1234","puk":"12345678","activationCode":"ACT-CODE-1"}]}]}}`

// simplifyTripFlat is a SimplifyTrip body with only nested objects and
// string values, for which the canonical string follows from the
// documented rule alone (flatten, underscore-join, sort, k=v&k=v).
const (
	simplifyTripFlat          = `{"type":"PURCHASE_ORDER_SUCCESS","id":"wh_1","mode":"TEST_MODE","data":{"status":"COMPLETED","orderId":"SO-1","trackId":"TRK-1"}}`
	simplifyTripFlatCanonical = `data_orderId=SO-1&data_status=COMPLETED&data_trackId=TRK-1&id=wh_1&mode=TEST_MODE&type=PURCHASE_ORDER_SUCCESS`
)
