import CRabbitMQ
import CTierflowShim
func _probe() {
    let s: amqp_connection_state_t? = amqp_new_connection()
    _ = tf_amqp_login_plain(s, "/", 0, 131072, 30, "g", "g")
}
