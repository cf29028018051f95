<?php
/**
 * Plugin Name: varsel publisher
 * Description: Tells varsel of a post the moment it is published or updated, so the people who
 *              follow its topics are alerted at once instead of at the next poll.
 * Version:     1.0
 *
 * Install: copy this file to wp-content/mu-plugins/ and set, in wp-config.php:
 *
 *   define('VARSEL_API', 'https://varsel.intern.example.no');  // where the admin process answers
 *   define('VARSEL_TOKEN', 'varsel_pub_...');                 // a publisher token (/admin/publishers)
 *   define('VARSEL_TOPICS', 'norge-i-verden');                // the topics every post concerns
 *
 * A post can carry two custom fields: `varsel_note` (the change note people read; the excerpt
 * otherwise) and `varsel_minor` (1: a typo fix; recorded by varsel, but nobody is alerted).
 * The `varsel_topics` filter chooses other topics per post, for example by category.
 */

if (!defined('ABSPATH')) {
    exit;
}

add_action('transition_post_status', 'varsel_push_change', 10, 3);

/**
 * Push a published post (new, or updated while published) to varsel's publisher API.
 */
function varsel_push_change($new_status, $old_status, $post)
{
    if ($new_status !== 'publish' || $post->post_type !== 'post' || wp_is_post_revision($post)) {
        return;
    }
    if (!defined('VARSEL_API') || !defined('VARSEL_TOKEN') || !defined('VARSEL_TOPICS')) {
        return;
    }
    $topics = apply_filters(
        'varsel_topics',
        array_values(array_filter(array_map('trim', explode(',', VARSEL_TOPICS)))),
        $post
    );
    if (!$topics) {
        return;
    }
    $note = get_post_meta($post->ID, 'varsel_note', true);
    $change = array(
        'topics' => $topics,
        'url'    => get_permalink($post),
        'title'  => varsel_plain_text(get_the_title($post)),
        'note'   => $note !== '' ? $note : varsel_plain_text(get_the_excerpt($post)),
        'minor'  => (bool) get_post_meta($post->ID, 'varsel_minor', true),
    );
    // One key per saved version of the post: the same save sent twice (a double click, a retry)
    // alerts once; the next edit has another modification time, so it is a new change.
    $key = 'wp-' . md5(home_url()) . '-' . $post->ID . '-' . $post->post_modified_gmt;
    $response = wp_remote_post(rtrim(VARSEL_API, '/') . '/api/v1/changes', array(
        'timeout' => 10,
        'headers' => array(
            'Authorization'   => 'Bearer ' . VARSEL_TOKEN,
            'Content-Type'    => 'application/json',
            'Idempotency-Key' => $key,
        ),
        'body'    => wp_json_encode($change),
    ));
    if (is_wp_error($response)) {
        error_log('varsel: post ' . $post->ID . ' not pushed: ' . $response->get_error_message());
        return;
    }
    $status = wp_remote_retrieve_response_code($response);
    if ($status !== 202) {
        error_log('varsel: post ' . $post->ID . ' refused (' . $status . '): '
            . wp_remote_retrieve_body($response));
    }
}

/**
 * Return a title or excerpt as the text it shows. WordPress gives them as HTML for a theme to
 * print (a typed & as &#038;, an apostrophe as &#8217;, an excerpt ending in [&hellip;]);
 * varsel takes plain text and escapes it itself, so entities sent as they are would reach
 * people's mail as «&#038;».
 */
function varsel_plain_text($html)
{
    return html_entity_decode(wp_strip_all_tags($html), ENT_QUOTES | ENT_HTML5, 'UTF-8');
}
