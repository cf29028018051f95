<?php
// The WordPress functions the varsel mu-plugin calls, as small stand-ins, then one publish.
// WordPress itself is not installed for the tests; the plugin file runs unchanged, and its HTTP
// request goes to a running varsel. Usage: php publish_post.php PLUGIN POST_JSON
// (VARSEL_API and VARSEL_TOKEN come from the environment, as wp-config.php would define them).

define('ABSPATH', __DIR__ . '/');
define('VARSEL_API', getenv('VARSEL_API'));
define('VARSEL_TOKEN', getenv('VARSEL_TOKEN'));
define('VARSEL_TOPICS', getenv('VARSEL_TOPICS'));

$GLOBALS['actions'] = array();
$GLOBALS['answers'] = array();

function add_action($hook, $callback, $priority = 10, $accepted_args = 1)
{
    $GLOBALS['actions'][$hook][] = $callback;
}

function do_action($hook, ...$args)
{
    foreach ($GLOBALS['actions'][$hook] ?? array() as $callback) {
        $callback(...$args);
    }
}

function apply_filters($hook, $value, ...$args) { return $value; }
function wp_is_post_revision($post) { return false; }
function get_permalink($post) { return $post->permalink; }
// As WordPress returns them, for a theme to print: the title through the_title's wptexturize
// and convert_chars (a bare & as &#038;, a typed apostrophe as &#8217;, " - " as an en dash),
// an excerpt made from the content through the_content's wptexturize, its tags stripped and
// excerpt_more's " [&hellip;]" after it; a written excerpt as it was typed.
function wptexturize($text)
{
    return str_replace(array("'", ' - '), array('&#8217;', ' &#8211; '), $text);
}
function convert_chars($text) { return preg_replace('/&(?!#?\w+;)/', '&#038;', $text); }
function get_the_title($post) { return trim(convert_chars(wptexturize($post->post_title))); }
function get_the_excerpt($post)
{
    if (($post->post_excerpt ?? '') !== '') {
        return $post->post_excerpt;
    }
    return trim(strip_tags(wptexturize($post->post_content))) . ' [&hellip;]';
}
function wp_strip_all_tags($text) { return trim(strip_tags($text)); }
function get_post_meta($id, $key, $single) { return $GLOBALS['post']->meta[$key] ?? ''; }
function home_url() { return 'https://www.example.no'; }
function wp_json_encode($data) { return json_encode($data, JSON_UNESCAPED_UNICODE); }
function is_wp_error($thing) { return $thing instanceof Exception; }

function wp_remote_post($url, $args)
{
    $headers = '';
    foreach ($args['headers'] as $name => $value) {
        $headers .= "$name: $value\r\n";
    }
    $context = stream_context_create(array('http' => array(
        'method' => 'POST',
        'header' => $headers,
        'content' => $args['body'],
        'timeout' => $args['timeout'],
        'ignore_errors' => true,
    )));
    $body = @file_get_contents($url, false, $context);
    if ($body === false) {
        return new Exception("no answer from $url");
    }
    preg_match('{^HTTP/\S+ (\d{3})}', $http_response_header[0], $status);
    $answer = array('response' => array('code' => (int) $status[1]), 'body' => $body);
    $GLOBALS['answers'][] = $answer;
    return $answer;
}

function wp_remote_retrieve_response_code($response) { return $response['response']['code']; }
function wp_remote_retrieve_body($response) { return $response['body']; }

require $argv[1];

$GLOBALS['post'] = (object) json_decode($argv[2], true);
$GLOBALS['post']->meta = (array) ($GLOBALS['post']->meta ?? array());
do_action('transition_post_status', 'publish', 'draft', $GLOBALS['post']);
echo json_encode($GLOBALS['answers']), "\n";
