<?php
// A correct eSIM-provider webhook receiver in plain PHP, with the esimhooks
// conformance probe. Run it the way most PHP hosts run PHP, one process per
// request:
//
//   RECEIVER_PROVIDER=esimfly RECEIVER_VARIANT=2026-09 RECEIVER_SECRET=... \
//     PHP_CLI_SERVER_WORKERS=4 php -S 127.0.0.1:9000 router.php
//
// RECEIVER_SECRET may hold several secrets separated by spaces while you
// rotate keys. PHP keeps nothing between requests, so the state lives in a
// JSON file (RECEIVER_STATE, default in the temp directory) under an
// exclusive flock: that lock is what makes "seen?" and "applied" one step.
// In production, use your database: the key under a unique constraint, in
// the same transaction as the status change.
declare(strict_types=1);

ini_set('serialize_precision', '-1'); // shortest round-trip floats, as PHP >= 7.1 defaults to
const MAX_BODY = 1 << 20;              // 1 MiB: far above any event, 413 past it
const TOLERANCE_S = 300;               // Standard Webhooks: webhook-timestamp within 5 minutes
const SIMPLIFYTRIP_WINDOW_S = 86400;   // SimplifyTrip: accept an event within 24 hours

// What each provider variant documents (esimhooks' providers.md): how it signs,
// where the event type, idempotency key and event time are, and which resource
// each event moves to which status. Paths are dot-separated, "*" walks an
// array, "=x" is a literal status. Keys: "sha256" of the raw body,
// "header:NAME" or "body:PATH".
function hmac_hex(string $header, string $hash, string $over, string $prefix = ''): array
{
    return ['scheme' => 'hmac', 'header' => $header, 'hash' => $hash, 'over' => $over, 'prefix' => $prefix];
}
$esimfly2026 = hmac_hex('x-webhook-signature', 'sha256', 'raw', 'sha256=');
$roamify = hmac_hex('x-roamify-signature', 'sha256', 'raw');
$roamifyCommon = [
    'partner/low_balance' => [], 'partner/insufficient_balance' => [], 'partner/top_up' => [],
    'affiliate/order' => [['data.order_data.order_id', 'data.order_data.order_status']],
];
const DEFAULT_VARIANT = ['airalo' => 'default', 'esimfly' => '2025-01', 'esimaccess' => 'open-api', 'roamify' => 'overview', 'simplifytrip' => 'default', 'standard' => 'v1'];
$VARIANTS = [
    // Airalo signs json_encode(json_decode(body)) (PHP's escapes: \/ and \u00fc).
    'airalo@default' => [
        'sig' => hmac_hex('airalo-signature', 'sha512', 'php-json'), 'head_check' => true, 'type' => 'shape', 'key' => 'sha256', 'time' => null,
        'events' => [
            'async_order' => [['request_id', '=completed']], 'async_order_failed' => [['request_id', '=failed']],
            'low_data' => [], 'credit_limit' => [],
        ],
        'keys' => ['async_order' => 'body:request_id', 'async_order_failed' => 'body:request_id'],
    ],
    // eSIMfly 2025-01 signs JSON.stringify of its event object, which is the
    // exact body it sends: hash the raw bytes, as the seed's PHP sample does.
    'esimfly@2025-01' => [
        'sig' => hmac_hex('x-esimfly-signature', 'sha256', 'raw'), 'type' => ['event'], 'key' => 'header:x-esimfly-delivery-id', 'time' => 'timestamp',
        'events' => [
            'order.created' => [['data.order_id', 'data.status']],
            'order.completed' => [['data.order_id', '=completed'], ['data.esims.*.iccid', 'data.esims.*.status']],
            'order.failed' => [['data.order_id', '=failed']],
            'esim.activated' => [['data.iccid', '=activated']], 'esim.expired' => [['data.iccid', '=expired']],
            'balance.low' => [], 'topup.completed' => [], 'topup.failed' => [],
        ],
    ],
    'esimfly@2026-04' => [
        'sig' => $esimfly2026, 'type' => ['event'], 'key' => 'header:x-webhook-id', 'time' => 'timestamp',
        'events' => [
            'esim.provisioned' => [['data.iccid', '=provisioned']],
            'order.completed' => [['data.order_id', '=completed'], ['data.esims.*.iccid', 'data.esims.*.status']],
        ],
    ],
    'esimfly@2026-09' => [
        'sig' => $esimfly2026, 'type' => ['event'], 'key' => 'header:x-webhook-id', 'time' => 'timestamp',
        'events' => [
            'esim.provisioned' => [['data.iccid', '=provisioned']], 'esim.installed' => [['data.iccid', '=installed']],
            'esim.status.changed' => [['data.iccid', 'data.new_status']],
            'esim.profile.updated' => [], 'esim.usage.threshold' => [], 'order.completed' => [],
        ],
    ],
    // eSIM Access signs nothing: allow only its source IPs at your edge.
    'esimaccess@open-api' => [
        'sig' => ['scheme' => 'none'], 'type' => ['eventType'], 'key' => 'sha256', 'time' => 'timestamp',
        'events' => [
            'ORDER_STATUS' => [['orderNo', 'status'], ['profiles.*.iccid', 'profiles.*.status']],
            'PROFILE_STATUS' => [['iccid', 'currentStatus']], 'DATA_USAGE' => [],
        ],
    ],
    'esimaccess@api-reference' => [
        'sig' => ['scheme' => 'none'], 'type' => ['notifyType'], 'key' => 'sha256', 'time' => 'eventGenerateTime',
        'events' => [
            'CHECK_HEALTH' => [], 'ORDER_STATUS' => [['content.orderNo', 'content.orderStatus']],
            'SMDP_EVENT' => [['content.iccid', 'content.smdpStatus']], 'ESIM_STATUS' => [['content.iccid', 'content.esimStatus']],
            'DATA_USAGE' => [], 'VALIDITY_USAGE' => [],
        ],
    ],
    'roamify@overview' => [
        'sig' => $roamify, 'type' => ['event_category', 'event_type'], 'key' => 'sha256', 'time' => 'data.timestamp',
        'events' => ['esim/esim_usage' => [['data.iccid', 'data.status']], 'esim/esim_status' => [['data.iccid', 'data.status']]] + $roamifyCommon,
    ],
    'roamify@per-type' => [
        'sig' => $roamify, 'type' => ['event_category', 'event_type'], 'key' => 'sha256', 'time' => 'data.timestamp',
        'events' => ['esim/usage' => [['data.iccid', 'data.status']], 'esim/status' => [['data.iccid', 'data.status']]] + $roamifyCommon + [
            'refund/refunded' => [['data.refund_id', 'data.status']], 'refund/rejected' => [['data.refund_id', 'data.status']],
        ],
        'keys' => ['refund/refunded' => 'body:event_id', 'refund/rejected' => 'body:event_id'],
    ],
    // SimplifyTrip signs a flattened, key-sorted form of the payload.
    'simplifytrip@default' => [
        'sig' => hmac_hex('x-simplify-trip-signature', 'sha256', 'flatten'), 'type' => ['type'], 'key' => 'body:id', 'time' => 'createdAt',
        'replay_window_s' => SIMPLIFYTRIP_WINDOW_S,
        'events' => [
            'PURCHASE_ORDER_SUCCESS' => [['data.orderId', 'data.status']], 'PHYSICAL_SIM_ORDER_STATUS' => [['data.orderId', 'data.status']],
            'RETURN_REQUEST_STATUS' => [['data.returnRequestId', 'data.status']],
        ],
    ],
    'standard@v1' => [
        'sig' => ['scheme' => 'standard'], 'type' => ['type'], 'key' => 'header:webhook-id', 'time' => 'timestamp',
        'events' => [
            'order.created' => [['data.order_id', 'data.status']],
            'order.completed' => [['data.order_id', 'data.status'], ['data.esims.*.iccid', 'data.esims.*.status']],
            'esim.activated' => [['data.iccid', 'data.status']], 'esim.usage' => [], 'balance.low' => [],
        ],
    ],
];

function answer(int $status, array $doc, array $headers = []): never
{
    http_response_code($status);
    header('Content-Type: application/json');
    foreach ($headers as $h) {
        header($h);
    }
    echo json_encode($doc), "\n";
    exit;
}

// Airalo's notifications carry no type: tell them apart by shape.
function airalo_type(array $b): ?string
{
    if (array_key_exists('request_id', $b)) {
        return array_key_exists('reason', $b) ? 'async_order_failed' : (array_key_exists('data', $b) ? 'async_order' : null);
    }
    if (array_key_exists('level', $b) && array_key_exists('iccid', $b)) {
        return 'low_data';
    }
    return array_key_exists('message', $b) && array_key_exists('remaining', $b) ? 'credit_limit' : null;
}

// A JSON number as JavaScript's String(n) prints it (SimplifyTrip's form).
function js_number(int|float $x): string
{
    if (is_int($x) && abs($x) <= 2 ** 53) {
        return (string) $x;
    }
    $x = (float) $x;
    if ($x == 0) {
        return '0';
    }
    preg_match('/^-?(\d+)(?:\.(\d+))?(?:E([+-]?\d+))?$/i', var_export(abs($x), true), $m); // shortest round trip
    $d = ltrim($m[1] . ($m[2] ?? ''), '0');
    $n = strlen($m[1]) + (int) ($m[3] ?? 0) - (strlen($m[1] . ($m[2] ?? '')) - strlen($d)); // point after n digits
    $d = rtrim($d, '0');
    $k = strlen($d);
    $sign = $x < 0 ? '-' : '';
    if ($k <= $n && $n <= 21) {
        return $sign . $d . str_repeat('0', $n - $k);
    }
    if ($n > 0 && $n <= 21) {
        return $sign . substr($d, 0, $n) . '.' . substr($d, $n);
    }
    if ($n > -6 && $n <= 0) {
        return $sign . '0.' . str_repeat('0', -$n) . $d;
    }
    $e = $n - 1;
    return $sign . $d[0] . ($k > 1 ? '.' . substr($d, 1) : '') . 'e' . ($e > 0 ? '+' : '-') . abs($e);
}

// SimplifyTrip's signed pairs: nested keys joined with "_", array indexes as
// segments; null prints empty, booleans true/false.
function flatten(mixed $v, string $prefix, array &$out): void
{
    if (is_array($v)) {
        foreach ($v as $k => $x) {
            flatten($x, $prefix === '' ? (string) $k : "{$prefix}_{$k}", $out);
        }
        return;
    }
    $out[$prefix] = match (true) {
        $v === null => '', is_bool($v) => $v ? 'true' : 'false', is_string($v) => $v, default => js_number($v),
    };
}

// Every value at a dot path; "*" walks an array.
function values(mixed $v, string $path): array
{
    $cur = [$v];
    foreach (explode('.', $path) as $seg) {
        $next = [];
        foreach ($cur as $x) {
            if ($seg === '*' && is_array($x) && array_is_list($x)) {
                array_push($next, ...$x);
            } elseif (is_array($x) && !array_is_list($x) && array_key_exists($seg, $x)) {
                $next[] = $x[$seg];
            }
        }
        $cur = $next;
    }
    $out = [];
    foreach ($cur as $x) {
        if (is_string($x) || is_bool($x)) {
            $out[] = is_bool($x) ? ($x ? 'true' : 'false') : $x;
        } elseif (is_int($x) || is_float($x)) {
            $out[] = js_number($x);
        }
    }
    return $out;
}

// The event's own time in seconds (unix seconds or ms, or ISO 8601), or null.
function event_time(array $body, ?string $path): ?float
{
    if ($path === null) {
        return null;
    }
    $v = $body;
    foreach (explode('.', $path) as $seg) {
        $v = is_array($v) && array_key_exists($seg, $v) ? $v[$seg] : null;
    }
    if (is_int($v) || is_float($v)) {
        return $v > 1e12 ? $v / 1000 : (float) $v;
    }
    $t = is_string($v) ? date_create_immutable($v) : false;
    return $t === false ? null : (float) $t->format('U.u');
}

// Null when the signature over the exact bytes is right, else [status,
// reason]. hash_equals is constant-time and returns false (never throws) on
// unequal lengths.
function verify(array $sig, array $secrets, array $headers, string $raw): ?array
{
    if ($sig['scheme'] === 'none') {
        return null;
    }
    if ($sig['scheme'] === 'standard') {
        [$id, $ts, $given] = [$headers['webhook-id'] ?? '', $headers['webhook-timestamp'] ?? '', $headers['webhook-signature'] ?? ''];
        if ($id === '' || $ts === '' || $given === '') {
            return [401, 'missing webhook-id, webhook-timestamp or webhook-signature'];
        }
        if (!preg_match('/^\d{1,12}$/', $ts) || abs(time() - (int) $ts) > TOLERANCE_S) {
            return [401, 'webhook-timestamp outside the 5-minute tolerance'];
        }
        foreach ($secrets as $secret) {
            $key = base64_decode(preg_replace('/^whsec_/', '', $secret), true);
            $mac = base64_encode(hash_hmac('sha256', "$id.$ts.$raw", (string) $key, true));
            foreach (explode(' ', $given) as $s) {
                if ($key !== false && str_starts_with($s, 'v1,') && hash_equals($mac, substr($s, 3))) {
                    return null;
                }
            }
        }
        return [401, 'invalid signature'];
    }
    $given = $headers[$sig['header']] ?? '';
    if ($given === '') {
        return [401, "missing {$sig['header']}"];
    }
    $signed = $raw;
    if ($sig['over'] !== 'raw') {
        $obj = json_decode($raw, true);
        if (json_last_error() !== JSON_ERROR_NONE) {
            return [400, 'malformed JSON'];
        }
        if ($sig['over'] === 'php-json') {
            $signed = json_encode($obj);
        } else {
            $pairs = [];
            flatten($obj, '', $pairs);
            ksort($pairs, SORT_STRING);
            $signed = implode('&', array_map(fn ($k, $v) => "$k=$v", array_keys($pairs), $pairs));
        }
    }
    foreach ($secrets as $secret) {
        if (hash_equals($sig['prefix'] . hash_hmac($sig['hash'], (string) $signed, $secret), $given)) {
            return null;
        }
    }
    return [401, 'invalid signature'];
}

// with_state runs $f on the state under a flock and saves what it returns as
// the new state: how many times each key was applied, and each resource's
// status with the time of the event that set it.
function with_state(int $lock, callable $f): mixed
{
    $file = getenv('RECEIVER_STATE') ?: sys_get_temp_dir() . '/esimhooks-receiver-' . $_SERVER['SERVER_PORT'] . '.json';
    $fh = fopen($file, 'c+');
    flock($fh, $lock);
    $s = json_decode(stream_get_contents($fh) ?: '{}', true) + ['applied' => [], 'resources' => []];
    [$result, $next] = $f($s);
    if ($next !== null) {
        ftruncate($fh, 0);
        rewind($fh);
        fwrite($fh, json_encode($next, JSON_FORCE_OBJECT));
        fflush($fh);
    }
    flock($fh, LOCK_UN);
    fclose($fh);
    return $result;
}

// claim applies an event once per key and reports whether it did. An older
// event (by its own time) never overwrites a newer status; events without a
// time apply in arrival order.
function claim(string $key, array $effects, ?float $at): bool
{
    return with_state(LOCK_EX, function (array $s) use ($key, $effects, $at) {
        if (isset($s['applied'][$key])) {
            return [false, null];
        }
        $s['applied'][$key] = 1;
        foreach ($effects as [$id, $status]) {
            $cur = $s['resources'][$id] ?? null;
            if ($cur !== null && $at !== null && $cur['at'] !== null && $at < $cur['at']) {
                continue;
            }
            $s['resources'][$id] = ['status' => $status, 'at' => $at ?? $cur['at'] ?? null];
        }
        return [true, $s];
    });
}

function effects_of(array $rules, array $body): array
{
    $out = [];
    foreach ($rules as [$idPath, $statusPath]) {
        $ids = values($body, $idPath);
        $statuses = str_starts_with($statusPath, '=') ? array_fill(0, count($ids), substr($statusPath, 1)) : values($body, $statusPath);
        foreach (array_slice($ids, 0, count($statuses)) as $i => $id) {
            $out[] = [$id, $statuses[$i]];
        }
    }
    return $out;
}

function key_of(string $spec, array $headers, array $body, string $raw): string
{
    [$from, $name] = explode(':', $spec, 2) + [1 => ''];
    $k = match ($from) { 'header' => $headers[$name] ?? '', 'body' => values($body, $name)[0] ?? '', default => '' };
    return $k !== '' ? $k : hash('sha256', $raw); // no key sent: dedupe exact copies
}

$provider = getenv('RECEIVER_PROVIDER') ?: '';
[$provider, $variant] = explode('@', $provider, 2) + [1 => getenv('RECEIVER_VARIANT') ?: (DEFAULT_VARIANT[$provider] ?? '')];
$v = $VARIANTS["$provider@$variant"] ?? answer(500, ['error' => "unknown provider variant $provider@$variant; set RECEIVER_PROVIDER"]);
$secrets = preg_split('/\s+/', getenv('RECEIVER_SECRET') ?: '', -1, PREG_SPLIT_NO_EMPTY);
if ($v['sig']['scheme'] !== 'none' && $secrets === []) {
    answer(500, ['error' => "$provider signs its webhooks: set RECEIVER_SECRET"]);
}

// The probe (openapi/probe.yaml): what was applied, for the conformance suite.
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?: '/';
if (preg_match('#^/probe/(events|resources)/([^/]+)$#', $path, $m) && $_SERVER['REQUEST_METHOD'] === 'GET') {
    $name = rawurldecode($m[2]);
    $found = with_state(LOCK_SH, fn (array $s) => [$m[1] === 'events'
        ? (isset($s['applied'][$name]) ? ['applied' => $s['applied'][$name]] : null)
        : (isset($s['resources'][$name]) ? ['status' => $s['resources'][$name]['status']] : null), null]);
    $found !== null ? answer(200, $found) : answer(404, ['error' => 'not found']);
}

// The webhook, at every other path.
$method = $_SERVER['REQUEST_METHOD'];
if ($method === 'HEAD' && !empty($v['head_check'])) {
    answer(200, []); // Airalo's opt-in check
}
if ($method !== 'POST') {
    answer(405, ['outcome' => 'method not allowed'], ['Allow: ' . (!empty($v['head_check']) ? 'POST, HEAD' : 'POST')]);
}
if ((int) ($_SERVER['CONTENT_LENGTH'] ?? 0) > MAX_BODY) {
    answer(413, ['outcome' => 'body too large']);
}
$raw = (string) file_get_contents('php://input', false, null, 0, MAX_BODY + 1);
if (strlen($raw) > MAX_BODY) {
    answer(413, ['outcome' => 'body too large']);
}
$headers = array_change_key_case(getallheaders(), CASE_LOWER);
if ($bad = verify($v['sig'], $secrets, $headers, $raw)) { // first, over the exact bytes
    error_log("rejected: {$bad[1]}"); // never the secret or the signature
    answer($bad[0], ['outcome' => $bad[0] === 401 ? 'invalid signature' : $bad[1]]);
}
$body = json_decode($raw, true);
if (json_last_error() !== JSON_ERROR_NONE) {
    answer(400, ['outcome' => 'malformed JSON']);
}
if (!is_array($body) || ($body !== [] && array_is_list($body))) {
    answer(200, ['outcome' => 'ignored: unknown event type']);
}
$at = event_time($body, $v['time']);
if (isset($v['replay_window_s']) && $at !== null && time() - $at > $v['replay_window_s']) {
    answer(400, ['outcome' => 'stale event']);
}
$type = $v['type'] === 'shape' ? airalo_type($body) : implode('/', array_map(fn ($p) => values($body, $p)[0] ?? '', $v['type']));
$rules = $v['events'][$type] ?? null;
if ($rules === null) {
    answer(200, ['outcome' => 'ignored: unknown event type']); // new types appear without notice
}
$key = key_of($v['keys'][$type] ?? $v['key'], $headers, $body, $raw);
answer(200, ['outcome' => claim($key, effects_of($rules, $body), $at) ? 'applied' : 'duplicate']);
