#!/usr/bin/perl
# Perl Net::POP3 (libnet) downloads a mailbox for clients_tls.py.
#
#   netpop3.pl --port N --tls none|stls|ssl --ca FILE --mech MECH
#              --user NAME --out DIR
#
# The password comes from the environment (POLYPOP_PASS), not argv.
# Net::POP3->auth() takes an Authen::SASL object restricted to MECH, so
# the client cannot pick another mechanism nor fall back to USER/PASS.
# Authen::SASL's pure-Perl backend has PLAIN, LOGIN, CRAM-MD5 and
# DIGEST-MD5; SCRAM comes from the Cyrus backend (Authen::SASL::Cyrus),
# which is asked for by name so a missing one is an error, not a fallback.
# Each message is written as DIR/N, from Net::POP3's get(): the lines as
# Net::Cmd returns them, dot-unstuffed, CRLF kept (the exact wire bytes).
# Prints "tls VERSION" and "messages N" on success; dies with the reason
# otherwise.
use strict;
use warnings;
use Getopt::Long;
use Net::POP3;
use Authen::SASL;
use IO::Socket::SSL qw(SSL_VERIFY_PEER);

my %o = (tls => 'none', mech => 'PLAIN', timeout => 30);
GetOptions(\%o, 'port=i', 'tls=s', 'ca=s', 'mech=s', 'user=s', 'out=s',
    'timeout=i') or die "bad arguments\n";
my $pass = $ENV{POLYPOP_PASS};
defined $pass or die "POLYPOP_PASS not set\n";

# Verify the server against the test certificate, by its IP address
# (the certificate has IP:127.0.0.1 in subjectAltName).
my %ssl = (SSL_ca_file => $o{ca}, SSL_verify_mode => SSL_VERIFY_PEER,
    SSL_verifycn_scheme => 'default', SSL_verifycn_name => '127.0.0.1');

my $pop = Net::POP3->new('127.0.0.1', Port => $o{port},
    Timeout => $o{timeout}, ($o{tls} eq 'ssl' ? (SSL => 1, %ssl) : ()))
    or die "connect: $@\n";
if ($o{tls} eq 'stls') {
	$pop->starttls(%ssl) or die "starttls: " . ($IO::Socket::SSL::SSL_ERROR
	    // $pop->message // '') . "\n";
}
if ($o{tls} ne 'none') {
	$pop->isa('IO::Socket::SSL') or die "socket is not TLS after $o{tls}\n";
	print "tls ", $pop->get_sslversion, "\n";
}

# Authen::SASL takes the first backend of @Authen::SASL::Plugins that
# loads: the pure-Perl one for the classic mechanisms, Cyrus for SCRAM
# (a missing Authen::SASL::Cyrus is then an error, never a fallback).
my $cyrus = $o{mech} =~ /^SCRAM-/;
@Authen::SASL::Plugins = $cyrus ? ('Authen::SASL::Cyrus') :
    ('Authen::SASL::Perl');
# Perl backend: user = authentication id; Cyrus: auth = authentication
# id, user = authorization id (the same: no separate authzid is sent).
my %cb = $cyrus ? (user => "", auth => $o{user}, pass => $pass) :
    (user => $o{user}, pass => $pass);
# Authen::SASL::Cyrus 0.13 misreads a mechanism name held in some
# run-time strings (client_start fails, or not, with the order of argv):
# hand it a compile-time constant.
my %mechs = map { $_ => $_ } qw(PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1
    SCRAM-SHA-256);
my $mech = $mechs{$o{mech}} // die "unknown mechanism $o{mech}\n";
my $sasl = Authen::SASL->new(mechanism => $mech, callback => \%cb);
$pop->auth($sasl) or die "auth $o{mech}: " . ($pop->message // '') . "\n";

my ($n) = $pop->popstat;
defined $n or die "STAT: " . ($pop->message // '') . "\n";
for my $i (1 .. $n) {
	my $lines = $pop->get($i) or die "RETR $i: " . ($pop->message // '')
	    . "\n";
	open(my $fh, '>:raw', "$o{out}/$i") or die "$o{out}/$i: $!\n";
	print $fh @$lines;
	close($fh) or die "$o{out}/$i: $!\n";
}
$pop->quit or die "QUIT: " . ($pop->message // '') . "\n";
print "messages $n\n";
exit 0;
