import CTierflowShim
import Testing

@Suite("OpenSSL at process exit")
struct OpenSSLExitCleanupTests {
    /// libpq, librabbitmq and libcurl load OpenSSL, whose `atexit` cleanup frees state that threads still
    /// exiting free too; the shim's constructor turns it off in every binary that links it, this one included.
    @Test("OpenSSL was initialised before main without its atexit cleanup")
    func exitCleanupIsOff() {
        #expect(tf_openssl_exit_cleanup_disabled() == 1)
    }
}
