import CCurl
import CTierflowShim
func _probe() {
    let h = curl_easy_init()
    _ = tf_curl_easy_setopt_long(h, CURLOPT_NOSIGNAL, 1)
}
