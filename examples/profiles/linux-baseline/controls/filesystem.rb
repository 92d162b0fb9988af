# encoding: utf-8
# Filesystem permissions every Linux host should have.

title 'Filesystem permissions'

control 'fs-01' do
  impact 1.0
  title '/etc/passwd is owned by root and not world-writable'
  desc 'A writable passwd file lets any user become root.'
  tag 'cis', section: '6.1.2'
  describe file('/etc/passwd') do
    it { should exist }
    it { should be_owned_by 'root' }
    it { should_not be_writable.by('others') }
  end
end

control 'fs-02' do
  impact 0.7
  title '/tmp has the sticky bit'
  describe directory('/tmp') do
    its('mode') { should cmp '01777' }
  end
end
